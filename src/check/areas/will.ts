// Will messages: published on an abnormal close, not after DISCONNECT, with the Will Retain
// flag honoured, and (5.0) the Will Delay Interval and Will Properties.
import { PacketType, type Properties } from '../../protocol/index.js';
import type { CheckConnection } from '../connection.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsRetain, sleep } from '../define.js';
import { receive, subscribed, text } from '../steps.js';
import { ensure } from '../types.js';
import { newSubscriber } from './retained.js';

/** A watcher on the check's topic, and a client whose will goes there. */
async function willPair(
  ctx: CheckContext,
  will: { retain?: boolean; properties?: Properties } = {},
  connectProperties: Properties = {},
) {
  const watcher = await ctx.connected({ clientId: ctx.clientId('w') });
  await subscribed(ctx, watcher, { topicFilter: ctx.topic(), qos: 1 });
  if (will.retain) ctx.retained(ctx.topic());
  const client = await ctx.connected({
    clientId: ctx.clientId('c'),
    will: { topic: ctx.topic(), payload: Buffer.from('gone'), qos: 1, ...will },
    properties: connectProperties,
  });
  return { watcher, client };
}

async function expectWill(ctx: CheckContext, watcher: CheckConnection, timeout = ctx.timeout) {
  const got = await watcher.expect(PacketType.Publish, timeout, '(the will)');
  ensure(text(got) === 'gone', `published ${text(got)} as the will`);
  return got;
}

export const willChecks = defineChecks('will', [
  {
    id: 'abnormal-close',
    title: 'The will is published when the connection closes without DISCONNECT',
    rules: { 4: ['MQTT-3.1.2-8'], 5: ['MQTT-3.1.2-8', 'MQTT-3.1.2-7'] },
    async run(ctx) {
      const { watcher, client } = await willPair(ctx);
      client.destroy();
      await expectWill(ctx, watcher);
    },
  },
  {
    id: 'normal-disconnect',
    title: 'After a normal DISCONNECT the will is discarded, not published',
    rules: { 4: ['MQTT-3.1.2-10', 'MQTT-3.14.4-3'], 5: ['MQTT-3.1.2-10', 'MQTT-3.14.4-3'] },
    async run(ctx) {
      const { watcher, client } = await willPair(ctx);
      await client.disconnect();
      await watcher.expectNothing(ctx.quiet, 'no will');
    },
  },
  {
    id: 'retain-0',
    title: 'Will Retain 0: the will is published as a non-retained message',
    rules: { 4: ['MQTT-3.1.2-16'], 5: ['MQTT-3.1.2-14'] },
    async run(ctx) {
      const { client } = await willPair(ctx);
      client.destroy();
      await sleep(ctx.quiet);
      await (await newSubscriber(ctx)).expectNothing(ctx.quiet, 'no retained will');
    },
  },
  {
    id: 'retain-1',
    title: 'Will Retain 1: the will is published as a retained message',
    rules: { 4: ['MQTT-3.1.2-17'], 5: ['MQTT-3.1.2-15'] },
    requires: needsRetain,
    async run(ctx) {
      const { watcher, client } = await willPair(ctx, { retain: true });
      client.destroy();
      await expectWill(ctx, watcher);
      const got = await receive(ctx, await newSubscriber(ctx), 'the retained will');
      ensure(got.retain && text(got) === 'gone', `sent RETAIN ${got.retain} ${text(got)}`);
    },
  },
  {
    id: 'no-will',
    title: 'Without a will nothing is published when the connection ends',
    rules: { 4: ['MQTT-3.1.2-12'] },
    async run(ctx) {
      const watcher = await ctx.connected({ clientId: ctx.clientId('w') });
      await subscribed(ctx, watcher, { topicFilter: ctx.topic(), qos: 1 });
      (await ctx.connected({ clientId: ctx.clientId('c') })).destroy();
      await watcher.expectNothing(ctx.quiet, 'nothing');
    },
  },
  {
    id: 'disconnect-with-will',
    title: 'DISCONNECT with reason 0x04 publishes the will',
    rules: { 5: ['MQTT-3.1.2-8'] },
    async run(ctx) {
      const { watcher, client } = await willPair(ctx);
      await client.disconnect(0x04);
      await expectWill(ctx, watcher);
    },
  },
  {
    id: 'delay-reconnect',
    title: 'A session reconnecting within the Will Delay Interval sends no will',
    rules: { 5: ['MQTT-3.1.3-9'] },
    async run(ctx) {
      const { watcher, client } = await willPair(
        ctx,
        { properties: { willDelayInterval: 2 } },
        { sessionExpiryInterval: 30 },
      );
      ctx.persistent(ctx.clientId('c'));
      client.destroy();
      await ctx.connected({
        clientId: ctx.clientId('c'),
        clean: false,
        properties: { sessionExpiryInterval: 30 },
      });
      await watcher.expectNothing(2_500, 'no will (the session came back)');
    },
  },
  {
    id: 'delay-elapsed',
    title: 'The will is published once the Will Delay Interval elapses, not before',
    rules: { 5: ['MQTT-3.1.2-8'] },
    async run(ctx) {
      const { watcher, client } = await willPair(
        ctx,
        { properties: { willDelayInterval: 1 } },
        { sessionExpiryInterval: 30 },
      );
      ctx.persistent(ctx.clientId('c'));
      client.destroy();
      await watcher.expectNothing(500, 'no will before the delay');
      await expectWill(ctx, watcher, ctx.timeout + 1_500);
    },
  },
  {
    id: 'user-property-order',
    title: 'The will\u2019s User Properties are published in their order',
    rules: { 5: ['MQTT-3.1.3-10'] },
    async run(ctx) {
      const userProperties: [string, string][] = [
        ['z', '1'],
        ['a', '2'],
        ['z', '0'],
      ];
      const { watcher, client } = await willPair(ctx, { properties: { userProperties } });
      client.destroy();
      const got = await expectWill(ctx, watcher);
      const sent = JSON.stringify(got.properties.userProperties);
      ensure(sent === JSON.stringify(userProperties), `published User Properties ${sent}`);
    },
  },
]);
