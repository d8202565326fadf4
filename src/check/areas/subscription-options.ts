// 5.0 Subscription Options and Subscription Identifiers: No Local, Retain As Published,
// Retain Handling, and the identifiers that go with each delivery.
import { PacketType } from '../../protocol/index.js';
import { defineChecks, needsRetain, needsSubscriptionIds } from '../define.js';
import { pair, publish, receive, subscribed, text } from '../steps.js';
import { ensure } from '../types.js';
import { newSubscriber, retain } from './retained.js';

export const subscriptionOptionChecks = defineChecks('subscription-options', [
  {
    id: 'no-local',
    title: 'No Local: the client\u2019s own messages are not sent back to it',
    rules: { 5: ['MQTT-3.8.3-3'] },
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, {
        topicFilter: ctx.topic(),
        noLocal: true,
      });
      await publish(ctx, subscriber, ctx.topic(), 'own');
      await publish(ctx, publisher, ctx.topic(), 'other');
      const got = await receive(ctx, subscriber, "the other client's message");
      ensure(text(got) === 'other', 'sent the client its own message');
    },
  },
  {
    id: 'options-replaced',
    title: 'Subscribing again replaces the options: No Local turned off delivers own messages',
    rules: { 5: ['MQTT-3.8.4-3'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await subscribed(ctx, connection, { topicFilter: ctx.topic(), noLocal: true });
      await subscribed(ctx, connection, { topicFilter: ctx.topic(), noLocal: false });
      await publish(ctx, connection, ctx.topic(), 'own');
      await receive(ctx, connection, 'its own message');
    },
  },
  {
    id: 'retain-as-published',
    title: 'Retain As Published 1: a forwarded message keeps the RETAIN flag it was published with',
    rules: { 5: ['MQTT-3.3.1-13'] },
    requires: needsRetain,
    async run(ctx) {
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      await subscribed(ctx, subscriber, {
        topicFilter: ctx.topic(),
        qos: 1,
        retainAsPublished: true,
      });
      await retain(ctx, 'retained');
      const got = await receive(ctx, subscriber);
      ensure(got.retain, 'forwarded it with RETAIN 0');
    },
  },
  {
    id: 'retain-handling-1',
    title: 'Retain Handling 1: retained messages only for a subscription that did not exist',
    rules: { 5: ['MQTT-3.3.1-10'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'once');
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      const spec = { topicFilter: ctx.topic(), qos: 1 as const, retainHandling: 1 as const };
      await subscribed(ctx, subscriber, spec);
      await receive(ctx, subscriber, 'the retained message');
      await subscribed(ctx, subscriber, spec);
      await subscriber.expectNothing(ctx.quiet, 'no retained message for an existing subscription');
    },
  },
  {
    id: 'retain-handling-2',
    title: 'Retain Handling 2: no retained messages on subscribe',
    rules: { 5: ['MQTT-3.3.1-11'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'not sent');
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos: 1, retainHandling: 2 });
      await subscriber.expectNothing(ctx.quiet, 'no retained message');
    },
  },
  {
    id: 'retain-handling-0',
    title: 'Retain Handling 0: retained messages are sent on every subscribe',
    rules: { 5: ['MQTT-3.3.1-9', 'MQTT-3.8.4-4'] },
    requires: needsRetain,
    async run(ctx) {
      await retain(ctx, 'each time');
      const subscriber = await newSubscriber(ctx);
      await receive(ctx, subscriber, 'the retained message');
      await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos: 1, retainHandling: 0 });
      await receive(ctx, subscriber, 'the retained message again');
    },
  },
  {
    id: 'subscription-identifier',
    title: 'A delivery carries the Subscription Identifier of its subscription',
    rules: { 5: ['MQTT-3.3.4-3'] },
    requires: needsSubscriptionIds,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic(), {
        subscriptionIdentifiers: [42],
      });
      await publish(ctx, publisher, ctx.topic(), 'id');
      const got = await receive(ctx, subscriber);
      const ids = got.properties.subscriptionIdentifiers;
      ensure(
        ids?.join() === '42',
        `delivered with Subscription Identifiers ${JSON.stringify(ids)}`,
      );
    },
  },
  {
    id: 'subscription-identifiers-overlap',
    title:
      'Overlapping subscriptions: their Subscription Identifiers go with the message (one copy with both, or a copy each)',
    rules: { 5: ['MQTT-3.3.4-4', 'MQTT-3.3.4-5'] },
    requires: needsSubscriptionIds,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic(), {
        subscriptionIdentifiers: [1],
      });
      await subscribed(ctx, subscriber, `${ctx.topic()}/#`, { subscriptionIdentifiers: [2] });
      await publish(ctx, publisher, ctx.topic(), 'both');
      const copies = [await receive(ctx, subscriber)];
      for (const p of await subscriber.collect(ctx.quiet))
        if (p.type === PacketType.Publish) copies.push(p);
      const ids = copies.map((p) =>
        (p.properties.subscriptionIdentifiers ?? []).slice().sort().join('+'),
      );
      const ok = copies.length === 1 ? ids[0] === '1+2' : ids.slice().sort().join() === '1,2';
      ensure(ok, `delivered ${copies.length} copies with identifiers ${ids.join(' / ')}`);
    },
  },
]);
