// Retained messages: stored, replaced, removed by an empty payload, sent with RETAIN 1 to new
// subscriptions and with RETAIN 0 to established ones.
import type { QoS } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsRetain } from '../define.js';
import { publish, receive, subscribe, text } from '../steps.js';
import { type Check, ensure } from '../types.js';

/** Publishes a retained message on the check's topic (remembered for the cleanup). */
export async function retain(
  ctx: CheckContext,
  payload: string,
  qos: QoS = 1,
  topic = ctx.topic(),
) {
  ctx.retained(topic);
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  await publish(ctx, publisher, topic, payload, { qos, retain: true });
  await publisher.disconnect();
}

/** A new subscriber on `filter`; the retained message it gets, or a failure. */
export async function newSubscriber(ctx: CheckContext, filter = ctx.topic(), qos: QoS = 1) {
  const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
  await subscribe(ctx, subscriber, [{ topicFilter: filter, qos }]);
  return subscriber;
}

const retainedChecks: Check[] = defineChecks('retained', [
  {
    id: 'sent-to-new-subscription',
    title: 'A retained message is sent to a new subscription with RETAIN 1',
    rules: {
      4: ['MQTT-3.3.1-5', 'MQTT-3.3.1-6', 'MQTT-3.3.1-8'],
      5: ['MQTT-3.3.1-5', 'MQTT-3.3.1-9'],
    },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'kept');
      const got = await receive(ctx, await newSubscriber(ctx), 'the retained message');
      ensure(got.retain && text(got) === 'kept', `sent RETAIN ${got.retain} payload ${text(got)}`);
    },
  },
  {
    id: 'live-retain-0',
    title: 'A retained message published to an established subscription is forwarded with RETAIN 0',
    rules: { 4: ['MQTT-3.3.1-9'], 5: ['MQTT-3.3.1-12'] },
    requires: needsRetain,
    async run(ctx) {
      const subscriber = await newSubscriber(ctx);
      await retain(ctx, 'live');
      const got = await receive(ctx, subscriber);
      ensure(!got.retain, 'forwarded it with RETAIN 1');
    },
  },
  {
    id: 'empty-removes',
    title: 'A retained PUBLISH with an empty payload removes the retained message and is not kept',
    rules: { 4: ['MQTT-3.3.1-10', 'MQTT-3.3.1-11'], 5: ['MQTT-3.3.1-6', 'MQTT-3.3.1-7'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'to remove');
      await retain(ctx, '');
      await (await newSubscriber(ctx)).expectNothing(ctx.quiet, 'no retained message');
    },
  },
  {
    id: 'replaced',
    title: 'A new retained message replaces the one stored for the topic',
    rules: { 4: ['MQTT-3.3.1-7'], 5: ['MQTT-3.3.1-5'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'old', 0);
      await retain(ctx, 'new', 0);
      const subscriber = await newSubscriber(ctx);
      ensure(text(await receive(ctx, subscriber)) === 'new', 'sent the replaced message');
      await subscriber.expectNothing(ctx.quiet, 'one retained message');
    },
  },
  {
    id: 'retain-0-unchanged',
    title: 'A PUBLISH with RETAIN 0 leaves the retained message alone',
    rules: { 4: ['MQTT-3.3.1-12'], 5: ['MQTT-3.3.1-8'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'kept');
      const publisher = await ctx.connected({ clientId: ctx.clientId('q') });
      await publish(ctx, publisher, ctx.topic(), 'not retained', { qos: 1 });
      const got = await receive(ctx, await newSubscriber(ctx));
      ensure(text(got) === 'kept', `sent ${text(got)} as the retained message`);
    },
  },
  {
    id: 'outlives-session',
    title: 'A retained message stays after its publisher\u2019s session ends',
    rules: { 4: ['MQTT-3.1.2-7'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'stays');
      const got = await receive(ctx, await newSubscriber(ctx));
      ensure(text(got) === 'stays', `sent ${text(got)}`);
    },
  },
  {
    id: 'wildcard',
    title: 'A wildcard subscription gets the retained message of every matching topic',
    rules: { 4: ['MQTT-3.3.1-6'], 5: ['MQTT-3.3.1-9'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'a', 1, ctx.topic('x/a'));
      await retain(ctx, 'b', 1, ctx.topic('x/b'));
      const subscriber = await newSubscriber(ctx, ctx.topic('x/+'));
      const got = [
        text(await receive(ctx, subscriber)),
        text(await receive(ctx, subscriber, 'the second retained message')),
      ];
      ensure(got.sort().join() === 'a,b', `sent ${got}`);
    },
  },
  {
    id: 'resubscribe',
    title: 'Subscribing again to the same filter sends the retained messages again',
    rules: { 4: ['MQTT-3.8.4-3'], 5: ['MQTT-3.8.4-4'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'again');
      const subscriber = await newSubscriber(ctx);
      await receive(ctx, subscriber);
      await subscribe(ctx, subscriber, [{ topicFilter: ctx.topic(), qos: 1 }]);
      const got = await receive(ctx, subscriber, 'the retained message again');
      ensure(got.retain, 'sent it with RETAIN 0');
    },
  },
  {
    id: 'granted-qos',
    title: 'A retained QoS 1 message is sent at the lower of its QoS and the granted QoS',
    rules: { 4: ['MQTT-3.3.1-5', 'MQTT-3.8.4-6'], 5: ['MQTT-3.8.4-8'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'q1', 1);
      const got = await receive(ctx, await newSubscriber(ctx, ctx.topic(), 0));
      ensure(got.qos === 0, `sent at QoS ${got.qos} to a QoS 0 subscription`);
    },
  },
]);

export { retainedChecks };
