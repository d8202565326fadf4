// Keep Alive: PINGREQ gets PINGRESP, and a client silent for 1.5 × Keep Alive is dropped
// (its will published), while one that pings stays connected.
import { PacketType } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, sleep } from '../define.js';
import { subscribed, text } from '../steps.js';
import { type Capabilities, type CheckVersion, ensure } from '../types.js';

const KEEP_ALIVE = 1;

const clientKeepAliveApplies = (caps: Capabilities, version: CheckVersion) =>
  version === 5 && caps.serverKeepAlive !== undefined
    ? `Server Keep Alive ${caps.serverKeepAlive} replaces the client's`
    : undefined;

/** The longest a server may take to drop a silent client: 1.5 × Keep Alive, plus slack. */
const dropWithin = (ctx: CheckContext) => KEEP_ALIVE * 1_500 + ctx.timeout;

export const keepAliveChecks = defineChecks('keep-alive', [
  {
    id: 'pingresp',
    title: 'PINGREQ is answered with PINGRESP',
    rules: { 4: ['MQTT-3.12.4-1'], 5: ['MQTT-3.12.4-1'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send({ type: PacketType.Pingreq });
      await connection.expect(PacketType.Pingresp, ctx.timeout);
    },
  },
  {
    id: 'timeout',
    title: 'A client silent for 1.5 × Keep Alive is disconnected',
    rules: { 4: ['MQTT-3.1.2-24'], 5: ['MQTT-3.1.2-22'] },
    requires: clientKeepAliveApplies,
    async run(ctx) {
      const connection = await ctx.connected({ keepAlive: KEEP_ALIVE });
      ensure(
        await connection.waitClose(dropWithin(ctx)),
        `kept a silent client for ${dropWithin(ctx)} ms`,
      );
    },
  },
  {
    id: 'pings-keep-alive',
    title: 'A client that sends PINGREQ within Keep Alive stays connected',
    rules: { 4: ['MQTT-3.1.2-24'], 5: ['MQTT-3.1.2-22'] },
    requires: clientKeepAliveApplies,
    async run(ctx) {
      const connection = await ctx.connected({ keepAlive: KEEP_ALIVE });
      for (let i = 0; i < 6; i++) {
        await sleep(KEEP_ALIVE * 500);
        await connection.send({ type: PacketType.Pingreq });
        await connection.expect(PacketType.Pingresp, ctx.timeout, `(ping ${i + 1})`);
      }
      ensure(!connection.closed, 'closed a client that kept pinging');
    },
  },
  {
    id: 'will-on-timeout',
    title: 'A client dropped for Keep Alive has its will published',
    rules: { 4: ['MQTT-3.1.2-8'], 5: ['MQTT-3.1.2-8'] },
    requires: clientKeepAliveApplies,
    async run(ctx) {
      const watcher = await ctx.connected({ clientId: ctx.clientId('w') });
      await subscribed(ctx, watcher, ctx.topic());
      await ctx.connected({
        keepAlive: KEEP_ALIVE,
        will: { topic: ctx.topic(), payload: Buffer.from('timed out') },
      });
      const will = await watcher.expect(PacketType.Publish, dropWithin(ctx), '(the will)');
      ensure(text(will) === 'timed out', `published ${text(will)}`);
    },
  },
]);
