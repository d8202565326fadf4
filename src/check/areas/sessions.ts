// Sessions: what a persistent session keeps while its client is away (subscriptions, queued
// messages, unacknowledged deliveries, resent on return), and (5.0) Session Expiry.
import { PacketType } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsQoS1, needsQoS2, sleep } from '../define.js';
import { persistentOptions, publish, pubResponse, receive, subscribed, text } from '../steps.js';
import { ensure } from '../types.js';
import { offlineSubscriber } from './publish.js';

/** A persistent subscriber holding one unacknowledged delivery, then dropped; reconnects. */
async function unacknowledged(ctx: CheckContext, qos: 1 | 2) {
  const options = persistentOptions(ctx, ctx.clientId('s'));
  const subscriber = await ctx.connected(options);
  await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos });
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  await publish(ctx, publisher, ctx.topic(), 'unacknowledged', { qos });
  const first = await subscriber.expect(PacketType.Publish, ctx.timeout);
  return { options, subscriber, first };
}

/** Reconnects with `options`, which must find the session. */
async function resume(ctx: CheckContext, options: ReturnType<typeof persistentOptions>) {
  const { connection, connack } = await ctx.connect(options);
  ensure(connack.sessionPresent, 'lost the session (Session Present 0)');
  return connection;
}

/** A session with Session Expiry `expiry` s must be gone `waitMs` after its client left. */
async function expiresAfter(ctx: CheckContext, expiry: number, waitMs: number): Promise<void> {
  const clientId = ctx.clientId();
  ctx.persistent(clientId);
  const properties = { sessionExpiryInterval: expiry };
  await (await ctx.connected({ clientId, clean: false, properties })).disconnect();
  await sleep(waitMs);
  const { connack } = await ctx.connect({ clientId, clean: false });
  ensure(
    !connack.sessionPresent,
    `kept the session ${waitMs} ms after it left (Session Present 1)`,
  );
}

export const sessionChecks = defineChecks('sessions', [
  {
    id: 'queued-offline',
    title: 'QoS 1 messages for a persistent session are queued while its client is away',
    rules: { 4: ['MQTT-3.1.2-5', 'MQTT-4.5.0-1'], 5: ['MQTT-3.1.2-23', 'MQTT-4.5.0-1'] },
    requires: needsQoS1,
    async run(ctx) {
      const { options, publisher } = await offlineSubscriber(ctx, 1);
      await publish(ctx, publisher, ctx.topic(), 'while away', { qos: 1 });
      const got = await receive(ctx, await resume(ctx, options), 'the queued message');
      ensure(text(got) === 'while away', `delivered ${text(got)}`);
    },
  },
  {
    id: 'queued-qos2',
    title: 'QoS 2 messages for a persistent session are queued while its client is away',
    rules: { 4: ['MQTT-3.1.2-5'], 5: ['MQTT-3.1.2-23'] },
    requires: needsQoS2,
    async run(ctx) {
      const { options, publisher } = await offlineSubscriber(ctx, 2);
      await publish(ctx, publisher, ctx.topic(), 'qos 2 away', { qos: 2 });
      const got = await receive(ctx, await resume(ctx, options), 'the queued message');
      ensure(got.qos === 2, `delivered at QoS ${got.qos}`);
    },
  },
  {
    id: 'subscriptions-kept',
    title: 'A resumed session keeps its subscriptions',
    rules: { 4: ['MQTT-3.1.2-4', 'MQTT-4.1.0-1'], 5: ['MQTT-3.1.2-5', 'MQTT-4.1.0-1'] },
    async run(ctx) {
      const { options, publisher } = await offlineSubscriber(ctx, 1);
      const subscriber = await resume(ctx, options);
      await publish(ctx, publisher, ctx.topic(), 'after return', { qos: 1 });
      await receive(ctx, subscriber, 'a message for the kept subscription');
    },
  },
  {
    id: 'resend-publish',
    title: 'An unacknowledged QoS 1 delivery is resent on reconnect with its packet id and DUP 1',
    rules: {
      4: ['MQTT-4.4.0-1', 'MQTT-3.3.1-1'],
      5: ['MQTT-4.4.0-1', 'MQTT-3.3.1-1', 'MQTT-4.3.2-3'],
    },
    requires: needsQoS1,
    async run(ctx) {
      const { options, subscriber, first } = await unacknowledged(ctx, 1);
      subscriber.destroy();
      const again = await (await resume(ctx, options)).expect(
        PacketType.Publish,
        ctx.timeout,
        '(resent)',
      );
      ensure(
        again.packetId === first.packetId,
        `resent with packet id ${again.packetId}, not ${first.packetId}`,
      );
      ensure(again.dup, 'resent with DUP 0');
    },
  },
  {
    id: 'resend-pubrel',
    title: 'After PUBREC, a reconnect gets PUBREL resent with the same id, not the PUBLISH',
    rules: {
      4: ['MQTT-4.4.0-1', 'MQTT-4.3.3-1'],
      5: ['MQTT-4.4.0-1', 'MQTT-4.3.3-6', 'MQTT-4.3.3-5'],
    },
    requires: needsQoS2,
    async run(ctx) {
      const { options, subscriber, first } = await unacknowledged(ctx, 2);
      await subscriber.send(pubResponse(PacketType.Pubrec, first.packetId!));
      await subscriber.take(PacketType.Pubrel, first.packetId!, ctx.timeout);
      subscriber.destroy();
      const again = await resume(ctx, options);
      const rel = await again.expect(PacketType.Pubrel, ctx.timeout, '(resent)');
      ensure(
        rel.packetId === first.packetId,
        `resent PUBREL ${rel.packetId}, not ${first.packetId}`,
      );
      await again.send(pubResponse(PacketType.Pubcomp, rel.packetId));
      await again.expectNothing(ctx.quiet, 'no PUBLISH after PUBREL');
    },
  },
  {
    id: 'expiry-zero',
    title: 'Session Expiry Interval 0: the session ends with the connection',
    rules: { 5: ['MQTT-4.1.0-2'] },
    run: (ctx) => expiresAfter(ctx, 0, 100),
  },
  {
    id: 'expiry-elapsed',
    title: 'A session is discarded once its Session Expiry Interval has passed',
    rules: { 5: ['MQTT-4.1.0-2'] },
    run: (ctx) => expiresAfter(ctx, 1, 2_200),
  },
]);
