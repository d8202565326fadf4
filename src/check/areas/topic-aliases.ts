// 5.0 Topic Aliases in both directions: the server's stay within the client's Topic Alias
// Maximum (none when it is 0), the client's are resolved, and they never outlive a connection.
import { PacketType } from '../../protocol/index.js';
import { defineChecks, needsTopicAliases } from '../define.js';
import { expectClosed, publish, publishPacket, receive, subscribed } from '../steps.js';
import { ensure } from '../types.js';

export const topicAliasChecks = defineChecks('topic-aliases', [
  {
    id: 'none-without-maximum',
    title: 'A client that sends no Topic Alias Maximum gets no Topic Aliases',
    rules: { 5: ['MQTT-3.1.2-27'] },
    async run(ctx) {
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      await subscribed(ctx, subscriber, ctx.topic('a/#'));
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      for (let i = 0; i < 4; i++) await publish(ctx, publisher, ctx.topic(`a/${i % 2}`), 'x');
      for (let i = 0; i < 4; i++) {
        const got = await receive(ctx, subscriber);
        ensure(
          got.properties.topicAlias === undefined,
          `sent Topic Alias ${got.properties.topicAlias}`,
        );
      }
    },
  },
  {
    id: 'within-maximum',
    title:
      'The server\u2019s Topic Aliases are between 1 and the client\u2019s Topic Alias Maximum',
    rules: { 5: ['MQTT-3.1.2-26', 'MQTT-3.3.2-11', 'MQTT-3.3.2-8'] },
    async run(ctx) {
      const subscriber = await ctx.connected({
        clientId: ctx.clientId('s'),
        properties: { topicAliasMaximum: 1 },
      });
      await subscribed(ctx, subscriber, ctx.topic('a/#'));
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      for (let i = 0; i < 6; i++) await publish(ctx, publisher, ctx.topic(`a/${i % 3}`), 'x');
      for (let i = 0; i < 6; i++) {
        const alias = (await receive(ctx, subscriber)).properties.topicAlias;
        ensure(
          alias === undefined || alias === 1,
          `sent Topic Alias ${alias} to a client with maximum 1`,
        );
      }
    },
  },
  {
    id: 'client-alias',
    title: 'A Topic Alias set by the client is resolved for later PUBLISHes with an empty topic',
    rules: { 5: ['MQTT-3.3.2-12'] },
    requires: needsTopicAliases,
    async run(ctx) {
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      await subscribed(ctx, subscriber, ctx.topic());
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, ctx.topic(), 'set', { properties: { topicAlias: 1 } });
      await publish(ctx, publisher, '', 'use', { properties: { topicAlias: 1 } });
      for (const what of ['the aliased message', 'the message sent by alias']) {
        const got = await receive(ctx, subscriber, what);
        ensure(got.topic === ctx.topic(), `delivered it on ${JSON.stringify(got.topic)}`);
      }
    },
  },
  {
    id: 'not-carried-over',
    title:
      'Topic Aliases do not carry over to a new connection: an unknown alias is a protocol error',
    rules: { 5: ['MQTT-3.3.2-7', 'MQTT-4.13.1-1'] },
    requires: needsTopicAliases,
    async run(ctx) {
      const first = await ctx.connected();
      await publish(ctx, first, ctx.topic(), 'set', { qos: 0, properties: { topicAlias: 1 } });
      await first.disconnect();
      const second = await ctx.connected();
      await second.send(publishPacket('', 'unknown alias', { properties: { topicAlias: 1 } }));
      await expectClosed(ctx, second);
    },
  },
  {
    id: 'alias-zero',
    title: 'Topic Alias 0 is a protocol error: the server closes',
    rules: { 5: ['MQTT-3.3.2-8', 'MQTT-4.13.1-1'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send(publishPacket(ctx.topic(), 'zero', { properties: { topicAlias: 0 } }));
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'alias-above-maximum',
    title: 'A Topic Alias above the server\u2019s Topic Alias Maximum is a protocol error',
    rules: { 5: ['MQTT-3.3.2-12', 'MQTT-4.13.1-1'] },
    async run(ctx) {
      const connection = await ctx.connected();
      const topicAlias = ctx.caps.topicAliasMaximum + 1;
      await connection.send(publishPacket(ctx.topic(), 'too high', { properties: { topicAlias } }));
      await expectClosed(ctx, connection);
      ensure(
        connection.packets.every((p) => p.type !== PacketType.Puback),
        'acknowledged it',
      );
    },
  },
]);
