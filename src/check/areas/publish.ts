// PUBLISH and the QoS 0/1/2 flows in both directions, packet identifiers, QoS downgrade,
// ordering, and the 5.0 properties a server forwards unchanged.
import { PacketType, type Properties, type QoS } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsQoS1, needsQoS2 } from '../define.js';
import {
  acknowledge,
  pair,
  persistentOptions,
  publish,
  publishPacket,
  pubResponse,
  receive,
  subscribe,
  subscribed,
  text,
} from '../steps.js';
import { ensure } from '../types.js';

/** Publishes at `published` to a subscription granted `granted`; the QoS delivered. */
async function deliveredQoS(ctx: CheckContext, granted: QoS, published: QoS): Promise<number> {
  const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: granted });
  await publish(ctx, publisher, ctx.topic(), 'qos', { qos: published });
  return (await receive(ctx, subscriber)).qos;
}

/** A persistent session subscribed to the check's topic at `qos`, now offline; a publisher. */
export async function offlineSubscriber(ctx: CheckContext, qos: QoS) {
  const options = persistentOptions(ctx, ctx.clientId('s'));
  const subscriber = await ctx.connected(options);
  await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos });
  await subscriber.disconnect();
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  return { options, publisher };
}

/** A 5.0 property set on PUBLISH must reach the subscriber unchanged. */
function forwarded(id: string, title: string, rule: string, properties: Properties) {
  return {
    id,
    title,
    rules: { 5: [rule] },
    async run(ctx: CheckContext) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic());
      await publish(ctx, publisher, ctx.topic(), 'props', { properties });
      const got = await receive(ctx, subscriber);
      for (const [key, value] of Object.entries(properties)) {
        const actual = got.properties[key as keyof Properties];
        ensure(
          JSON.stringify(actual) === JSON.stringify(value),
          `forwarded ${key} as ${JSON.stringify(actual)}, not ${JSON.stringify(value)}`,
        );
      }
    },
  };
}

export const publishChecks = defineChecks('publish', [
  {
    id: 'qos0-forwarded',
    title: 'QoS 0 is forwarded at QoS 0 with DUP 0 and no packet id; the publisher hears nothing',
    rules: {
      4: ['MQTT-4.3.1-1', 'MQTT-3.3.1-2', 'MQTT-2.3.1-5', 'MQTT-3.3.2-3'],
      5: ['MQTT-4.3.1-1', 'MQTT-3.3.1-2', 'MQTT-2.2.1-2', 'MQTT-3.3.2-3'],
    },
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 2 });
      await publish(ctx, publisher, ctx.topic(), 'zero');
      const got = await receive(ctx, subscriber);
      ensure(got.topic === ctx.topic(), `delivered on topic ${got.topic}`);
      ensure(
        got.qos === 0 && !got.dup && got.packetId === undefined,
        `delivered QoS ${got.qos} DUP ${got.dup} id ${got.packetId}`,
      );
      await publisher.expectNothing(ctx.quiet, 'no answer to a QoS 0 PUBLISH');
    },
  },
  {
    id: 'qos1-puback',
    title: 'A QoS 1 PUBLISH is answered with PUBACK carrying its packet id',
    rules: {
      4: ['MQTT-2.3.1-6', 'MQTT-4.3.2-2', 'MQTT-3.3.4-1'],
      5: ['MQTT-2.2.1-5', 'MQTT-4.3.2-4', 'MQTT-3.3.4-1', 'MQTT-3.4.2-1'],
    },
    requires: needsQoS1,
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send(publishPacket(ctx.topic(), 'one', { qos: 1, packetId: 4242 }));
      const ack = await connection.expect(PacketType.Puback, ctx.timeout);
      ensure(ack.packetId === 4242, `PUBACK for packet id ${ack.packetId}, not 4242`);
      ensure(ack.reasonCode < 0x80, `PUBACK ${ack.reasonCode} for an accepted message`);
    },
  },
  {
    id: 'qos1-delivery',
    title: 'A QoS 1 delivery has a non-zero packet id, QoS 1 and DUP 0',
    rules: {
      4: ['MQTT-4.3.2-1', 'MQTT-2.3.1-1', 'MQTT-2.3.1-4'],
      5: ['MQTT-2.2.1-4', 'MQTT-4.3.2-1', 'MQTT-4.3.2-2'],
    },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 1 });
      await publish(ctx, publisher, ctx.topic(), 'one', { qos: 1 });
      const got = await receive(ctx, subscriber);
      ensure(got.qos === 1 && !got.dup, `delivered QoS ${got.qos} DUP ${got.dup}`);
      ensure((got.packetId ?? 0) > 0, `delivered with packet id ${got.packetId}`);
    },
  },
  {
    id: 'qos1-id-reuse',
    title: 'After PUBACK, a PUBLISH reusing the packet id is a new message, delivered again',
    rules: { 4: ['MQTT-4.3.2-2'], 5: ['MQTT-4.3.2-5'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 1 });
      await publish(ctx, publisher, ctx.topic(), 'first', { qos: 1, packetId: 9 });
      await publish(ctx, publisher, ctx.topic(), 'second', { qos: 1, packetId: 9 });
      ensure(text(await receive(ctx, subscriber)) === 'first', 'first message lost');
      ensure(
        text(await receive(ctx, subscriber, 'the second message')) === 'second',
        'second message lost',
      );
    },
  },
  {
    id: 'qos2-flow',
    title: 'QoS 2 from a publisher: PUBREC with its id, then PUBCOMP for PUBREL',
    rules: {
      4: ['MQTT-4.3.3-2', 'MQTT-2.3.1-6'],
      5: ['MQTT-4.3.3-8', 'MQTT-4.3.3-11', 'MQTT-2.2.1-5', 'MQTT-3.5.2-1', 'MQTT-3.7.2-1'],
    },
    requires: needsQoS2,
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send(publishPacket(ctx.topic(), 'two', { qos: 2, packetId: 77 }));
      const rec = await connection.expect(PacketType.Pubrec, ctx.timeout);
      ensure(
        rec.packetId === 77 && rec.reasonCode < 0x80,
        `PUBREC id ${rec.packetId} code ${rec.reasonCode}`,
      );
      await connection.send(pubResponse(PacketType.Pubrel, 77));
      const comp = await connection.expect(PacketType.Pubcomp, ctx.timeout);
      ensure(
        comp.packetId === 77 && comp.reasonCode === 0,
        `PUBCOMP id ${comp.packetId} code ${comp.reasonCode}`,
      );
    },
  },
  {
    id: 'qos2-duplicate',
    title: 'QoS 2 PUBLISH repeated before PUBREL gets PUBREC again and is delivered once',
    rules: { 4: ['MQTT-4.3.3-2'], 5: ['MQTT-4.3.3-10'] },
    requires: needsQoS2,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 2 });
      await publisher.send(publishPacket(ctx.topic(), 'two', { qos: 2, packetId: 5 }));
      await publisher.expect(PacketType.Pubrec, ctx.timeout);
      await publisher.send(publishPacket(ctx.topic(), 'two', { qos: 2, packetId: 5, dup: true }));
      await publisher.expect(PacketType.Pubrec, ctx.timeout, 'for the repeated PUBLISH');
      await publisher.send(pubResponse(PacketType.Pubrel, 5));
      await publisher.expect(PacketType.Pubcomp, ctx.timeout);
      await receive(ctx, subscriber);
      await subscriber.expectNothing(ctx.quiet, 'no second delivery');
    },
  },
  {
    id: 'qos2-delivery',
    title:
      'A QoS 2 delivery: PUBLISH QoS 2 DUP 0, PUBREL with the same id after PUBREC, no resend after',
    rules: {
      4: ['MQTT-4.3.3-1'],
      5: ['MQTT-4.3.3-2', 'MQTT-4.3.3-4', 'MQTT-4.3.3-6', 'MQTT-3.6.2-1'],
    },
    requires: needsQoS2,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 2 });
      await publish(ctx, publisher, ctx.topic(), 'two', { qos: 2 });
      const got = await subscriber.expect(PacketType.Publish, ctx.timeout);
      ensure(
        got.qos === 2 && !got.dup && (got.packetId ?? 0) > 0,
        `delivered QoS ${got.qos} DUP ${got.dup} id ${got.packetId}`,
      );
      await subscriber.send(pubResponse(PacketType.Pubrec, got.packetId!));
      const rel = await subscriber.expect(PacketType.Pubrel, ctx.timeout);
      ensure(
        rel.packetId === got.packetId && rel.reasonCode === 0,
        `PUBREL id ${rel.packetId} code ${rel.reasonCode}`,
      );
      await subscriber.send(pubResponse(PacketType.Pubcomp, got.packetId!));
      await subscriber.expectNothing(ctx.quiet, 'nothing after PUBCOMP');
    },
  },
  {
    id: 'qos2-id-reuse',
    title: 'After PUBCOMP, a QoS 2 PUBLISH reusing the packet id is a new message',
    rules: { 4: ['MQTT-4.3.3-2'], 5: ['MQTT-4.3.3-12'] },
    requires: needsQoS2,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 2 });
      await publish(ctx, publisher, ctx.topic(), 'first', { qos: 2, packetId: 3 });
      await publish(ctx, publisher, ctx.topic(), 'second', { qos: 2, packetId: 3 });
      ensure(text(await receive(ctx, subscriber)) === 'first', 'first message lost');
      ensure(
        text(await receive(ctx, subscriber, 'the second message')) === 'second',
        'second message lost',
      );
    },
  },
  {
    id: 'downgrade-to-0',
    title: 'A QoS 2 message to a QoS 0 subscription is delivered at QoS 0',
    rules: { 4: ['MQTT-3.8.4-6'], 5: ['MQTT-3.8.4-8'] },
    requires: needsQoS2,
    async run(ctx) {
      const qos = await deliveredQoS(ctx, 0, 2);
      ensure(qos === 0, `delivered at QoS ${qos}`);
    },
  },
  {
    id: 'downgrade-to-1',
    title: 'A QoS 2 message to a QoS 1 subscription is delivered at QoS 1',
    rules: { 4: ['MQTT-3.8.4-6'], 5: ['MQTT-3.8.4-8'] },
    requires: needsQoS2,
    async run(ctx) {
      const qos = await deliveredQoS(ctx, 1, 2);
      ensure(qos === 1, `delivered at QoS ${qos}`);
    },
  },
  {
    id: 'no-upgrade',
    title: 'A QoS 0 message to a QoS 2 subscription stays QoS 0',
    rules: { 4: ['MQTT-3.8.4-6'], 5: ['MQTT-3.8.4-8'] },
    requires: needsQoS2,
    async run(ctx) {
      const qos = await deliveredQoS(ctx, 2, 0);
      ensure(qos === 0, `delivered at QoS ${qos}`);
    },
  },
  {
    id: 'overlapping-qos',
    title: 'Overlapping subscriptions: the delivery honours the highest granted QoS',
    rules: { 4: ['MQTT-3.3.5-1'], 5: ['MQTT-3.3.4-2'] },
    requires: needsQoS1,
    async run(ctx) {
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      const codes = await subscribe(ctx, subscriber, [
        { topicFilter: ctx.topic(), qos: 0 },
        { topicFilter: `${ctx.topic()}/#`, qos: 1 },
      ]);
      ensure(codes.join() === '0,1', `SUBACK ${codes}`);
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, ctx.topic(), 'overlap', { qos: 1 });
      const copies = [await receive(ctx, subscriber)];
      for (const p of await subscriber.collect(ctx.quiet))
        if (p.type === PacketType.Publish) copies.push(p);
      ensure(
        copies.some((p) => p.qos === 1),
        `delivered at QoS ${copies.map((p) => p.qos)} only`,
      );
    },
  },
  {
    id: 'order',
    title: 'Messages of one publisher on one topic are delivered in the order sent',
    rules: { 4: ['MQTT-4.6.0-5', 'MQTT-4.6.0-6'], 5: ['MQTT-4.6.0-5', 'MQTT-4.6.0-6'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 1 });
      const count = 20;
      for (let i = 0; i < count; i++)
        await publisher.send(publishPacket(ctx.topic(), String(i), { qos: 1, packetId: i + 1 }));
      const order: string[] = [];
      for (let i = 0; i < count; i++)
        order.push(text(await receive(ctx, subscriber, `message ${i}`)));
      ensure(
        order.join() === Array.from({ length: count }, (_, i) => i).join(),
        `delivered in order ${order.join(' ')}`,
      );
    },
  },
  {
    id: 'bom-kept',
    title: 'A U+FEFF in a topic is kept, never stripped',
    rules: { 4: ['MQTT-1.5.3-3'], 5: ['MQTT-1.5.4-3'] },
    async run(ctx) {
      const topic = `${ctx.topic()}/\uFEFFbom`;
      const { subscriber, publisher } = await pair(ctx, topic);
      await publish(ctx, publisher, topic, 'bom');
      const got = await receive(ctx, subscriber);
      ensure(got.topic === topic, `delivered on ${JSON.stringify(got.topic)}`);
    },
  },
  {
    id: 'unsubscribed-inflight',
    title: 'A QoS 1 delivery started before UNSUBSCRIBE is still completed',
    rules: { 4: ['MQTT-3.10.4-3'], 5: ['MQTT-3.10.4-3'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 1 });
      await publish(ctx, publisher, ctx.topic(), 'in flight', { qos: 1 });
      const got = await subscriber.expect(PacketType.Publish, ctx.timeout);
      await subscriber.send({
        type: PacketType.Unsubscribe,
        packetId: 999,
        topicFilters: [ctx.topic()],
        properties: {},
      });
      await subscriber.take(PacketType.Unsuback, 999, ctx.timeout);
      await acknowledge(ctx, subscriber, got);
      await subscriber.send({ type: PacketType.Pingreq });
      await subscriber.expect(
        PacketType.Pingresp,
        ctx.timeout,
        'after the PUBACK (the connection stays up)',
      );
    },
  },
  forwarded('payload-format', 'Payload Format Indicator is forwarded unchanged', 'MQTT-3.3.2-4', {
    payloadFormatIndicator: 1,
  }),
  forwarded('content-type', 'Content Type is forwarded unchanged', 'MQTT-3.3.2-20', {
    contentType: 'text/plain; charset=utf-8',
  }),
  forwarded('response-topic', 'Response Topic is forwarded unchanged', 'MQTT-3.3.2-15', {
    responseTopic: 'reply/to/me',
  }),
  forwarded('correlation-data', 'Correlation Data is forwarded unchanged', 'MQTT-3.3.2-16', {
    correlationData: Buffer.from([0, 1, 2, 255]),
  }),
  forwarded(
    'user-properties',
    'User Properties are all forwarded, unchanged and in order',
    'MQTT-3.3.2-17',
    {
      userProperties: [
        ['b', '2'],
        ['a', '1'],
        ['b', '1'],
      ],
    },
  ),
  forwarded(
    'user-property-order',
    'User Properties with the same name keep their order',
    'MQTT-3.3.2-18',
    {
      userProperties: [
        ['k', 'z'],
        ['k', 'a'],
        ['k', 'm'],
      ],
    },
  ),
  {
    id: 'message-expiry-reduced',
    title:
      'A queued message is forwarded with its Message Expiry Interval reduced by the time waited',
    rules: { 5: ['MQTT-3.3.2-6'] },
    requires: needsQoS1,
    async run(ctx) {
      const { options, publisher } = await offlineSubscriber(ctx, 1);
      await publish(ctx, publisher, ctx.topic(), 'expiring', {
        qos: 1,
        properties: { messageExpiryInterval: 30 },
      });
      await new Promise((r) => setTimeout(r, 1_100));
      const again = await ctx.connected(options);
      const got = await receive(ctx, again);
      const left = got.properties.messageExpiryInterval;
      ensure(
        left !== undefined && left < 30,
        `forwarded Message Expiry Interval ${left} after waiting 1.1 s`,
      );
    },
  },
  {
    id: 'message-expired',
    title: 'A queued message whose Message Expiry Interval passed is not delivered',
    rules: { 5: ['MQTT-3.3.2-5'] },
    requires: needsQoS1,
    async run(ctx) {
      const { options, publisher } = await offlineSubscriber(ctx, 1);
      await publish(ctx, publisher, ctx.topic(), 'expired', {
        qos: 1,
        properties: { messageExpiryInterval: 1 },
      });
      await new Promise((r) => setTimeout(r, 2_100));
      const again = await ctx.connected(options);
      await again.expectNothing(ctx.quiet, 'no expired message');
    },
  },
]);
