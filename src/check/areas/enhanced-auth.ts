// 5.0 enhanced authentication, as far as a checker without credentials can go: an unknown
// Authentication Method is refused, and without one the server sends no AUTH.
import { PacketType } from '../../protocol/index.js';
import { describePacket } from '../connection.js';
import { refusedVersion } from '../context.js';
import { defineChecks } from '../define.js';
import { expectClosed } from '../steps.js';
import { ensure } from '../types.js';

export const enhancedAuthChecks = defineChecks('enhanced-auth', [
  {
    id: 'unknown-method',
    title:
      'An unknown Authentication Method is refused (CONNACK 0x8C or 0x87, Session Present 0) and closed',
    rules: { 5: ['MQTT-4.12.0-1', 'MQTT-3.2.2-6', 'MQTT-3.2.2-7', 'MQTT-4.12.0-4'] },
    async run(ctx) {
      const connection = await ctx.open();
      await connection.send(
        ctx.connectPacket({ properties: { authenticationMethod: 'CULEX-CHECK-UNKNOWN' } }),
      );
      const closed = await connection.waitClose(ctx.timeout);
      const [first] = connection.packets;
      if (first?.type === PacketType.Connack) {
        refusedVersion(connection, first);
        ensure(first.reasonCode >= 0x80, `accepted it (${describePacket(first)})`);
        ensure(!first.sessionPresent, 'set Session Present on a refusal');
      } else ensure(first === undefined, `answered ${first && describePacket(first)}`);
      ensure(closed, 'kept the connection open');
    },
  },
  {
    id: 'no-method-no-auth',
    title: 'Without an Authentication Method the server sends no AUTH and no method in CONNACK',
    rules: { 5: ['MQTT-4.12.0-6'] },
    async run(ctx) {
      const { connection, connack } = await ctx.connect();
      refusedVersion(connection, connack);
      ensure(
        connack.properties.authenticationMethod === undefined,
        'named an Authentication Method',
      );
      await connection.expectNothing(ctx.quiet, 'no AUTH');
    },
  },
  {
    id: 'auth-without-method',
    title: 'AUTH on a connection that named no Authentication Method is a protocol error',
    rules: { 5: ['MQTT-4.13.1-1'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send({
        type: PacketType.Auth,
        reasonCode: 0x19,
        properties: { authenticationMethod: 'X' },
      });
      await expectClosed(ctx, connection);
    },
  },
]);
