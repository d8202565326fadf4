// 5.0 flow control: the client's Receive Maximum bounds the server's unacknowledged QoS 1/2
// deliveries without holding back other packets, and the client's Maximum Packet Size bounds
// what the server sends.
import { PacketType } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsQoS1, needsQoS2 } from '../define.js';
import { publish, pubResponse, receive, subscribed, text } from '../steps.js';
import { ensure } from '../types.js';

/** A subscriber with Receive Maximum 1 and three messages published to it at `qos`. */
async function receiveMaximumOne(ctx: CheckContext, qos: 1 | 2) {
  const subscriber = await ctx.connected({
    clientId: ctx.clientId('s'),
    properties: { receiveMaximum: 1 },
  });
  await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos });
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  for (const n of ['1', '2', '3']) await publish(ctx, publisher, ctx.topic(), n, { qos });
  const first = await subscriber.expect(PacketType.Publish, ctx.timeout);
  await subscriber.expectNothing(ctx.quiet, 'no second PUBLISH before the first is acknowledged');
  return { subscriber, first };
}

export const flowControlChecks = defineChecks('flow-control', [
  {
    id: 'receive-maximum',
    title: 'Receive Maximum 1: the next QoS 1 delivery waits for the PUBACK of the last',
    rules: { 5: ['MQTT-3.3.4-9', 'MQTT-4.9.0-1', 'MQTT-4.9.0-2'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, first } = await receiveMaximumOne(ctx, 1);
      await subscriber.send(pubResponse(PacketType.Puback, first.packetId!));
      ensure(
        text(await receive(ctx, subscriber, 'the second message after PUBACK')) === '2',
        'delivered out of order',
      );
    },
  },
  {
    id: 'receive-maximum-qos2',
    title: 'Receive Maximum 1: a QoS 2 delivery counts until its PUBCOMP, not its PUBREC',
    rules: { 5: ['MQTT-4.9.0-2', 'MQTT-4.3.3-3'] },
    requires: needsQoS2,
    async run(ctx) {
      const { subscriber, first } = await receiveMaximumOne(ctx, 2);
      await subscriber.send(pubResponse(PacketType.Pubrec, first.packetId!));
      await subscriber.take(PacketType.Pubrel, first.packetId!, ctx.timeout);
      await subscriber.expectNothing(ctx.quiet, 'no PUBLISH before PUBCOMP');
      await subscriber.send(pubResponse(PacketType.Pubcomp, first.packetId!));
      ensure(
        text(await receive(ctx, subscriber, 'the second message after PUBCOMP')) === '2',
        'delivered out of order',
      );
    },
  },
  {
    id: 'zero-quota',
    title: 'With no send quota left, PINGRESP and SUBACK still go out',
    rules: { 5: ['MQTT-3.3.4-10', 'MQTT-4.9.0-3'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber } = await receiveMaximumOne(ctx, 1);
      await subscriber.send({ type: PacketType.Pingreq });
      await subscriber.expect(PacketType.Pingresp, ctx.timeout);
      await subscribed(ctx, subscriber, ctx.topic('other'));
    },
  },
  {
    id: 'maximum-packet-size',
    title: 'A message above the client\u2019s Maximum Packet Size is not sent; the next one is',
    rules: { 5: ['MQTT-3.1.2-24', 'MQTT-3.1.2-25'] },
    async run(ctx) {
      const subscriber = await ctx.connected({
        clientId: ctx.clientId('s'),
        properties: { maximumPacketSize: 256 },
      });
      await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos: 1 });
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, ctx.topic(), 'x'.repeat(1_000), { qos: 1 });
      await publish(ctx, publisher, ctx.topic(), 'small', { qos: 1 });
      const got = await receive(ctx, subscriber, 'the small message');
      ensure(
        text(got) === 'small',
        `sent a ${got.payload.length}-byte payload above Maximum Packet Size 256`,
      );
    },
  },
]);
