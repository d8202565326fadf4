// 5.0 Shared Subscriptions: one delivery per group, the member's granted QoS, valid share
// names only, no No Local, and a message a member refused is not passed to another.
import { PacketType } from '../../protocol/index.js';
import type { CheckContext } from '../context.js';
import { defineChecks, needsShared } from '../define.js';
import { acknowledge, publish, pubResponse, subscribe, text } from '../steps.js';
import { CheckFailed, ensure, NotSupported } from '../types.js';
import { refusesFilter } from './topics.js';

/** Two members of one share group on the check's topic, at `qos`. */
async function members(ctx: CheckContext, qos: 0 | 1 = 1) {
  const filter = `$share/g${ctx.clientId('g').replace(/[^0-9a-zA-Z]/g, '')}/${ctx.topic()}`;
  const all = [];
  for (const name of ['m1', 'm2']) {
    const member = await ctx.connected({ clientId: ctx.clientId(name) });
    const [code] = await subscribe(ctx, member, [{ topicFilter: filter, qos }]);
    if (code === 0x9e) throw new NotSupported('refuses shared subscriptions (SUBACK 0x9E)');
    ensure(code === qos, `SUBACK ${code} for ${filter}`);
    all.push(member);
  }
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  return { members: all, publisher };
}

export const sharedChecks = defineChecks('shared', [
  {
    id: 'once-per-group',
    title: 'A shared subscription group gets each message once, spread over its members',
    rules: { 5: ['MQTT-4.8.2-1', 'MQTT-4.8.2-2'] },
    requires: needsShared,
    async run(ctx) {
      const group = await members(ctx);
      for (let i = 0; i < 10; i++)
        await publish(ctx, group.publisher, ctx.topic(), String(i), { qos: 1 });
      const seen: string[] = [];
      for (const member of group.members)
        for (const p of await member.collect(ctx.quiet))
          if (p.type === PacketType.Publish) {
            seen.push(text(p));
            await acknowledge(ctx, member, p);
          }
      ensure(
        seen.length === 10 && new Set(seen).size === 10,
        `delivered ${seen.length} copies of 10 messages (${seen.sort().join(' ')})`,
      );
    },
  },
  {
    id: 'granted-qos',
    title: 'A shared delivery honours the member\u2019s granted QoS',
    rules: { 5: ['MQTT-4.8.2-3'] },
    requires: needsShared,
    async run(ctx) {
      const group = await members(ctx, 0);
      await publish(ctx, group.publisher, ctx.topic(), 'qos', { qos: 1 });
      await group.members[0]!.waitUntil(
        () => group.members.some((m) => m.packets.length > 0),
        ctx.timeout,
      );
      const got = group.members
        .flatMap((m) => m.packets)
        .find((p) => p.type === PacketType.Publish);
      if (!got) throw new CheckFailed('delivered the message to no member');
      ensure(got.qos === 0, `delivered at QoS ${got.qos} to a QoS 0 member`);
    },
  },
  {
    id: 'refused-not-redistributed',
    title: 'A message a member refuses (PUBACK 0x80) is not sent to another member',
    rules: { 5: ['MQTT-4.8.2-6'] },
    requires: needsShared,
    async run(ctx) {
      const group = await members(ctx);
      await publish(ctx, group.publisher, ctx.topic(), 'refused', { qos: 1 });
      await group.members[0]!.waitUntil(
        () => group.members.some((m) => m.packets.length > 0),
        ctx.timeout,
      );
      const taker = group.members.find((m) => m.packets.length > 0);
      if (!taker) throw new CheckFailed('delivered the message to no member');
      const got = await taker.expect(PacketType.Publish, ctx.timeout);
      await taker.send(pubResponse(PacketType.Puback, got.packetId!, 0x80));
      const other = group.members.find((m) => m !== taker)!;
      await other.expectNothing(ctx.quiet, 'the refused message dropped');
    },
  },
  {
    id: 'no-local',
    title: 'No Local on a shared subscription is a protocol error (not granted)',
    rules: { 5: ['MQTT-3.8.3-4'] },
    requires: needsShared,
    async run(ctx) {
      await refusesFilter(ctx, `$share/g/${ctx.topic()}`, true);
    },
  },
  {
    id: 'empty-share-name',
    title: 'A shared subscription with an empty ShareName is refused',
    rules: { 5: ['MQTT-4.8.2-1'] },
    requires: needsShared,
    async run(ctx) {
      await refusesFilter(ctx, `$share//${ctx.topic()}`);
    },
  },
  {
    id: 'wildcard-share-name',
    title: "A ShareName holding '+' or '#' is refused",
    rules: { 5: ['MQTT-4.8.2-2'] },
    requires: needsShared,
    async run(ctx) {
      await refusesFilter(ctx, `$share/g+/${ctx.topic()}`);
    },
  },
  {
    id: 'no-filter',
    title: 'A ShareName not followed by a topic filter is refused',
    rules: { 5: ['MQTT-4.8.2-2'] },
    requires: needsShared,
    async run(ctx) {
      await refusesFilter(ctx, '$share/g');
    },
  },
]);
