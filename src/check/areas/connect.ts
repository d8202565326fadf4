// CONNECT and CONNACK: acceptance, Session Present, client identifiers, takeover, and the
// CONNECTs a server must refuse.
import { encode, PacketType } from '../../protocol/index.js';
import { CONNECT_FLAGS_OFFSET, CONNECT_LEVEL_OFFSET, withBodyByte } from '../bytes.js';
import { describePacket, hex } from '../connection.js';
import type { CheckContext } from '../context.js';
import { defineChecks } from '../define.js';
import { expectClosed, persistentOptions, publish, subscribed } from '../steps.js';
import { ensure, NotSupported } from '../types.js';

/** CONNECT bytes with the Protocol Level replaced by 9, which no MQTT version uses. */
const unknownLevel = (ctx: CheckContext) =>
  withBodyByte(ctx.connectPacket(), ctx.version, CONNECT_LEVEL_OFFSET, () => 9);

export const connectChecks = defineChecks('connect', [
  {
    id: 'accepted',
    title: 'A valid CONNECT gets CONNACK 0x00 first, Session Present 0 with a clean start',
    rules: {
      4: ['MQTT-3.1.4-4', 'MQTT-3.2.0-1', 'MQTT-3.2.2-1'],
      5: ['MQTT-3.1.4-5', 'MQTT-3.2.0-1', 'MQTT-3.2.2-2', 'MQTT-3.2.2-1'],
    },
    async run(ctx) {
      const { connection, connack } = await ctx.connect();
      ensure(connack.reasonCode === 0, `answered ${describePacket(connack)}`);
      ensure(!connack.sessionPresent, 'set Session Present on a clean start');
      await connection.disconnect();
    },
  },
  {
    id: 'new-session',
    title: 'A persistent session that does not exist yet is created: Session Present 0',
    rules: { 4: ['MQTT-3.2.2-3', 'MQTT-3.1.2-4'], 5: ['MQTT-3.1.2-6'] },
    async run(ctx) {
      const { connection, connack } = await ctx.connect(persistentOptions(ctx, ctx.clientId()));
      ensure(connack.reasonCode === 0, `answered ${describePacket(connack)}`);
      ensure(!connack.sessionPresent, 'set Session Present for a session that never existed');
      await connection.disconnect();
    },
  },
  {
    id: 'resume-session',
    title: 'Reconnecting without a clean start resumes the session: Session Present 1',
    rules: { 4: ['MQTT-3.2.2-2', 'MQTT-3.1.2-4'], 5: ['MQTT-3.2.2-3', 'MQTT-3.1.2-5'] },
    async run(ctx) {
      const options = persistentOptions(ctx, ctx.clientId());
      await (await ctx.connected(options)).disconnect();
      const { connection, connack } = await ctx.connect(options);
      ensure(connack.reasonCode === 0, `answered ${describePacket(connack)}`);
      ensure(connack.sessionPresent, 'answered Session Present 0 for a stored session');
      await connection.disconnect();
    },
  },
  {
    id: 'clean-discards-session',
    title: 'A clean start discards the stored session and its subscriptions',
    rules: { 4: ['MQTT-3.1.2-6', 'MQTT-3.1.4-3'], 5: ['MQTT-3.1.2-4', 'MQTT-3.1.4-4'] },
    async run(ctx) {
      const clientId = ctx.clientId();
      const first = await ctx.connected(persistentOptions(ctx, clientId));
      await subscribed(ctx, first, { topicFilter: ctx.topic(), qos: 1 });
      await first.disconnect();
      const { connection, connack } = await ctx.connect({ clientId, clean: true });
      ensure(!connack.sessionPresent, 'answered Session Present 1 to a clean start');
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, ctx.topic(), 'old subscription', { qos: 1 });
      await connection.expectNothing(ctx.quiet, 'no message for the discarded subscription');
      await connection.disconnect();
    },
  },
  {
    id: 'second-connect',
    title: 'A second CONNECT on a connection is a protocol violation: the server closes',
    rules: { 4: ['MQTT-3.1.0-2'], 5: ['MQTT-3.1.0-2'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send(ctx.connectPacket());
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'unsupported-level',
    title: 'An unknown Protocol Level is refused (3.1.1: CONNACK 0x01) and the server closes',
    rules: {
      4: ['MQTT-3.1.2-2', 'MQTT-3.2.2-4', 'MQTT-3.2.2-5'],
      5: ['MQTT-3.1.2-2', 'MQTT-3.2.2-7'],
    },
    async run(ctx) {
      const connection = await ctx.open();
      await connection.send(unknownLevel(ctx));
      const closed = await connection.waitClose(ctx.timeout);
      const [first] = connection.packets;
      if (ctx.version === 4) {
        ensure(first?.type === PacketType.Connack, 'closed without CONNACK 0x01');
        ensure(first.reasonCode === 0x84, `answered ${describePacket(first)}, not 0x01`);
        ensure(!first.sessionPresent, 'set Session Present on a refusal');
      }
      ensure(
        first === undefined || (first as { reasonCode: number }).reasonCode >= 0x80,
        `answered ${first && describePacket(first)}`,
      );
      ensure(closed, 'kept the connection open after refusing it');
    },
  },
  {
    id: 'refused-ignores-data',
    title: 'After refusing a CONNECT the server processes nothing more from the client',
    rules: { 4: ['MQTT-3.1.4-5'], 5: ['MQTT-3.1.4-6'] },
    async run(ctx) {
      const connection = await ctx.open();
      const subscribe = encode(
        {
          type: PacketType.Subscribe,
          packetId: 1,
          subscriptions: [
            {
              topicFilter: ctx.topic(),
              qos: 0,
              noLocal: false,
              retainAsPublished: false,
              retainHandling: 0,
            },
          ],
          properties: {},
        },
        ctx.version,
      );
      await connection.send(Buffer.concat([unknownLevel(ctx), subscribe]));
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'protocol-name',
    title: 'A CONNECT whose Protocol Name is not "MQTT" is not processed: the server closes',
    rules: { 4: ['MQTT-3.1.2-1'], 5: ['MQTT-3.1.2-1'] },
    async run(ctx) {
      const connection = await ctx.open();
      await connection.send(encode({ ...ctx.connectPacket(), protocolName: 'MQTX' }, ctx.version));
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'reserved-flag',
    title: 'A CONNECT with the reserved flag set is refused: the server closes',
    rules: { 4: ['MQTT-3.1.2-3'], 5: ['MQTT-3.1.2-3'] },
    hostile: true,
    async run(ctx) {
      const connection = await ctx.open();
      await connection.send(
        withBodyByte(ctx.connectPacket(), ctx.version, CONNECT_FLAGS_OFFSET, (b) => b | 1),
      );
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'client-id-23',
    title: 'A Client Identifier of 23 alphanumeric characters is accepted',
    rules: { 4: ['MQTT-3.1.3-5'], 5: ['MQTT-3.1.3-5'] },
    async run(ctx) {
      // The run's own id first (unique), padded with letters to exactly 23.
      const clientId = `${ctx.clientId()}abcdefghijklmnopqrstuvw`
        .replace(/[^0-9a-zA-Z]/g, '')
        .slice(0, 23);
      await (await ctx.connected({ clientId })).disconnect();
    },
  },
  {
    id: 'empty-client-id',
    title:
      'An empty Client Identifier with a clean start gets a unique identifier (5.0: assigned in CONNACK)',
    rules: { 4: ['MQTT-3.1.3-6'], 5: ['MQTT-3.1.3-6', 'MQTT-3.1.3-7', 'MQTT-3.2.2-16'] },
    async run(ctx) {
      const { connection, connack } = await ctx.connect({ clientId: '' });
      if (connack.reasonCode === 0x85)
        throw new NotSupported('refuses empty Client Identifiers (CONNACK 0x85 / 0x02)');
      ensure(connack.reasonCode === 0, `answered ${describePacket(connack)}`);
      if (ctx.version === 5) {
        const assigned = connack.properties.assignedClientIdentifier;
        ensure(assigned, 'sent no Assigned Client Identifier');
        const other = await ctx.connect({ clientId: '' });
        ensure(
          other.connack.properties.assignedClientIdentifier !== assigned,
          `assigned ${assigned} twice`,
        );
      }
      await connection.disconnect();
    },
  },
  {
    id: 'empty-client-id-persistent',
    title: 'An empty Client Identifier with Clean Session 0 gets CONNACK 0x02, then a close',
    rules: { 4: ['MQTT-3.1.3-8', 'MQTT-3.2.2-4', 'MQTT-3.2.2-5'] },
    async run(ctx) {
      const { connection, connack } = await ctx.connect({ clientId: '', clean: false });
      ensure(connack.reasonCode === 0x85, `answered ${describePacket(connack)}, not 0x02`);
      ensure(!connack.sessionPresent, 'set Session Present on a refusal');
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'takeover',
    title:
      'A second connection with the same Client Identifier closes the first (5.0: DISCONNECT 0x8E)',
    rules: { 4: ['MQTT-3.1.4-2'], 5: ['MQTT-3.1.4-3', 'MQTT-3.14.2-2'] },
    async run(ctx) {
      const clientId = ctx.clientId();
      const first = await ctx.connected({ clientId });
      const second = await ctx.connected({ clientId });
      ensure(await first.waitClose(ctx.timeout), 'kept the first connection open');
      for (const p of first.packets) {
        ensure(p.type === PacketType.Disconnect, `sent ${describePacket(p)} to the old connection`);
        ensure(p.reasonCode === 0x8e, `sent DISCONNECT ${hex(p.reasonCode)}, not 0x8E`);
        ensure(
          p.properties.sessionExpiryInterval === undefined,
          'sent a Session Expiry Interval in DISCONNECT',
        );
      }
      await second.disconnect();
    },
  },
  {
    id: 'connect-first',
    title: 'A packet other than CONNECT first is a protocol violation: the server closes',
    rules: { 4: ['MQTT-4.8.0-1'], 5: ['MQTT-4.13.1-1'] },
    async run(ctx) {
      const connection = await ctx.open();
      await connection.send({ type: PacketType.Pingreq });
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'no-response-information',
    title: 'Request Response Information 0: the CONNACK carries no Response Information',
    rules: { 5: ['MQTT-3.1.2-28'] },
    async run(ctx) {
      const { connection, connack } = await ctx.connect({
        properties: { requestResponseInformation: 0 },
      });
      ensure(connack.properties.responseInformation === undefined, 'sent Response Information');
      await connection.disconnect();
    },
  },
  {
    id: 'no-problem-information',
    title: 'Request Problem Information 0: no Reason String or User Property on an UNSUBACK',
    rules: { 5: ['MQTT-3.1.2-29'] },
    async run(ctx) {
      const connection = await ctx.connected({ properties: { requestProblemInformation: 0 } });
      await connection.send({
        type: PacketType.Unsubscribe,
        packetId: 7,
        topicFilters: [ctx.topic('none')],
        properties: {},
      });
      const unsuback = await connection.expect(PacketType.Unsuback, ctx.timeout);
      ensure(unsuback.properties.reasonString === undefined, 'sent a Reason String');
      ensure(unsuback.properties.userProperties === undefined, 'sent User Properties');
      await connection.disconnect();
    },
  },
]);
