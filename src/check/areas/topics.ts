// Topic names, filters and wildcards: a table of (filter, topic, matches?) rows, filters a
// server must refuse, '$' topics, and SUBSCRIBE / UNSUBSCRIBE bookkeeping.
import { PacketType } from '../../protocol/index.js';
import { hex } from '../connection.js';
import type { CheckContext } from '../context.js';
import { type CheckSpec, defineChecks, needsQoS1, needsWildcards } from '../define.js';
import {
  expectClosed,
  pair,
  publish,
  publishPacket,
  receive,
  subscribe,
  subscribed,
  subscription,
  text,
  unsubscribe,
} from '../steps.js';
import { CheckFailed, ensure, NotSupported } from '../types.js';

interface MatchRow {
  id: string;
  title: string;
  /** Filter and topic below the check's topic prefix. */
  filter: string;
  topic: string;
  /** For rows that must not match: a topic that does, published after to prove delivery works. */
  control?: string;
  rules: CheckSpec['rules'];
}

const PLUS = { 4: ['MQTT-4.7.1-3'], 5: ['MQTT-4.7.1-2'] };
const HASH = { 4: ['MQTT-4.7.1-2'], 5: ['MQTT-4.7.1-1'] };
const LITERAL = { 4: ['MQTT-4.7.3-4'], 5: ['MQTT-4.7.3-4'] };

const MATCHES: MatchRow[] = [
  {
    id: 'plus-one-level',
    title: "'+' matches exactly one level",
    filter: 'a/+/c',
    topic: 'a/b/c',
    rules: PLUS,
  },
  {
    id: 'plus-not-two',
    title: "'+' does not match two levels",
    filter: 'a/+/c',
    topic: 'a/b/x/c',
    control: 'a/y/c',
    rules: PLUS,
  },
  {
    id: 'plus-empty-level',
    title: "'+' matches an empty level",
    filter: 'a/+/c',
    topic: 'a//c',
    rules: PLUS,
  },
  {
    id: 'plus-last',
    title: "A trailing '+' does not match the parent level",
    filter: 'a/+',
    topic: 'a',
    control: 'a/b',
    rules: PLUS,
  },
  {
    id: 'hash-parent',
    title: "'#' also matches the parent level",
    filter: 'a/#',
    topic: 'a',
    rules: HASH,
  },
  {
    id: 'hash-deep',
    title: "'#' matches any number of levels",
    filter: 'a/#',
    topic: 'a/b/c/d',
    rules: HASH,
  },
  {
    id: 'hash-other-branch',
    title: "'#' does not match a sibling branch",
    filter: 'a/x/#',
    topic: 'a/y',
    control: 'a/x/z',
    rules: HASH,
  },
  {
    id: 'case',
    title: 'Matching is case-sensitive',
    filter: 'a/Abc',
    topic: 'a/abc',
    control: 'a/Abc',
    rules: LITERAL,
  },
  {
    id: 'no-normalization',
    title: 'Matching does no Unicode normalization (NFC vs NFD)',
    filter: 'a/\u00e9',
    topic: 'a/e\u0301',
    control: 'a/\u00e9',
    rules: LITERAL,
  },
  {
    id: 'trailing-slash',
    title: "A trailing '/' makes a different topic",
    filter: 'a/b',
    topic: 'a/b/',
    control: 'a/b',
    rules: LITERAL,
  },
  {
    id: 'space',
    title: 'Spaces are part of the topic',
    filter: 'a/b c',
    topic: 'a/b c',
    rules: LITERAL,
  },
];

function matchCheck(row: MatchRow): CheckSpec {
  const wild = row.filter.includes('+') || row.filter.includes('#');
  return {
    id: `match.${row.id}`,
    title: `${row.title}: ${row.filter} ${row.control ? 'does not match' : 'matches'} ${row.topic}`,
    rules: row.rules,
    requires: wild ? needsWildcards : undefined,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic(row.filter));
      await publish(ctx, publisher, ctx.topic(row.topic), 'row');
      if (row.control !== undefined)
        await publish(ctx, publisher, ctx.topic(row.control), 'control');
      const got = await receive(
        ctx,
        subscriber,
        row.control ? 'the control message' : 'the message',
      );
      const expected = row.control ?? row.topic;
      ensure(
        got.topic === ctx.topic(expected),
        `delivered ${JSON.stringify(got.topic)} to ${JSON.stringify(ctx.topic(row.filter))}`,
      );
    },
  };
}

/** Filters a server must refuse: SUBACK failure (0x80 or more) for it, or a close. */
const INVALID_FILTERS: [id: string, filter: string, rules: CheckSpec['rules']][] = [
  ['hash-not-last', 'a/#/b', HASH],
  ['hash-in-level', 'a/b#', HASH],
  ['plus-in-level', 'a/b+', PLUS],
  ['plus-prefix', 'a/+b/c', PLUS],
];

function invalidFilterCheck([id, filter, rules]: (typeof INVALID_FILTERS)[number]): CheckSpec {
  return {
    id: `invalid-filter.${id}`,
    title: `The invalid filter ${filter} is refused (SUBACK failure or close)`,
    rules,
    async run(ctx) {
      await refusesFilter(ctx, ctx.topic(filter));
    },
  };
}

/** A SUBSCRIBE to `filter` must fail: a SUBACK code of 0x80 or more, or a close. */
export async function refusesFilter(ctx: CheckContext, filter: string, noLocal = false) {
  const connection = await ctx.connected();
  const subscriptions = [subscription({ topicFilter: filter, noLocal })];
  await connection.send({ type: PacketType.Subscribe, packetId: 1, subscriptions, properties: {} });
  const closed = await connection.waitUntil(
    () => connection.closed || connection.packets.some((p) => p.type === PacketType.Suback),
    ctx.timeout,
  );
  const suback = connection.packets.find((p) => p.type === PacketType.Suback);
  if (suback)
    ensure(suback.reasonCodes[0]! >= 0x80, `granted it (SUBACK ${hex(suback.reasonCodes[0]!)})`);
  else if (closed) await expectClosed(ctx, connection);
  else throw new CheckFailed(`answered nothing within ${ctx.timeout} ms`);
}

export const topicChecks = defineChecks('topics', [
  ...MATCHES.map(matchCheck),
  ...INVALID_FILTERS.map(invalidFilterCheck),
  {
    id: 'empty-filter',
    title: 'An empty topic filter is refused (SUBACK failure or close)',
    rules: { 4: ['MQTT-4.7.3-1'], 5: ['MQTT-4.7.3-1'] },
    async run(ctx) {
      await refusesFilter(ctx, '');
    },
  },
  {
    id: 'wildcard-in-topic-name',
    title: 'A PUBLISH whose Topic Name holds a wildcard is refused: the server closes',
    rules: { 4: ['MQTT-3.3.2-2', 'MQTT-4.7.1-1'], 5: ['MQTT-3.3.2-2', 'MQTT-4.7.0-1'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await connection.send(publishPacket(ctx.topic('+'), 'wild'));
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'dollar-topics',
    title: "Filters starting with a wildcard do not match topics starting with '$'",
    rules: { 4: ['MQTT-4.7.2-1'], 5: ['MQTT-4.7.2-1'] },
    requires: needsWildcards,
    async run(ctx) {
      const name = ctx.clientId('d');
      const topic = `$${ctx.topic()}/${name}`;
      const wild = await ctx.connected({ clientId: ctx.clientId('w') });
      await subscribed(ctx, wild, `+/${ctx.topic().split('/').slice(1).join('/')}/${name}`);
      const exact = await ctx.connected({ clientId: ctx.clientId('e') });
      await subscribed(ctx, exact, topic);
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, topic, 'dollar');
      try {
        await exact.expect(PacketType.Publish, ctx.timeout);
      } catch {
        throw new NotSupported("does not route PUBLISHes to topics starting with '$'");
      }
      await wild.expectNothing(ctx.quiet, "nothing for the '$' topic");
    },
  },
  {
    id: 'suback',
    title: 'SUBSCRIBE is answered with a SUBACK carrying its packet id',
    rules: {
      4: ['MQTT-3.8.4-1', 'MQTT-3.8.4-2', 'MQTT-2.3.1-7'],
      5: ['MQTT-3.8.4-1', 'MQTT-3.8.4-2', 'MQTT-2.2.1-6'],
    },
    async run(ctx) {
      const connection = await ctx.connected();
      const subscription = {
        topicFilter: ctx.topic(),
        qos: 0 as const,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0 as const,
      };
      await connection.send({
        type: PacketType.Subscribe,
        packetId: 31337,
        subscriptions: [subscription],
        properties: {},
      });
      const suback = await connection.expect(PacketType.Suback, ctx.timeout);
      ensure(suback.packetId === 31337, `SUBACK for packet id ${suback.packetId}`);
    },
  },
  {
    id: 'multi-subscribe',
    title: 'A SUBSCRIBE of three filters gets one SUBACK with a code per filter, in order',
    rules: {
      4: ['MQTT-3.8.4-4', 'MQTT-3.8.4-5', 'MQTT-3.9.3-1', 'MQTT-3.9.3-2'],
      5: [
        'MQTT-3.8.4-5',
        'MQTT-3.8.4-6',
        'MQTT-3.8.4-7',
        'MQTT-3.9.3-1',
        'MQTT-3.9.3-2',
        'MQTT-3.2.2-10',
      ],
    },
    async run(ctx) {
      const connection = await ctx.connected();
      const codes = await subscribe(
        ctx,
        connection,
        [0, 1, 2].map((qos) => ({ topicFilter: ctx.topic(`q${qos}`), qos: qos as 0 | 1 | 2 })),
      );
      ensure(codes.length === 3, `SUBACK with ${codes.length} codes`);
      const expected = [0, 1, 2].map((qos) => Math.min(qos, ctx.caps.maximumQoS));
      ensure(
        codes.join() === expected.join(),
        `SUBACK codes ${codes.map(hex)}, not ${expected.map(hex)}`,
      );
    },
  },
  {
    id: 'resubscribe-replaces',
    title: 'Subscribing again to a filter replaces the subscription: one delivery at the new QoS',
    rules: { 4: ['MQTT-3.8.4-3'], 5: ['MQTT-3.8.4-3'] },
    requires: needsQoS1,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, { topicFilter: ctx.topic(), qos: 0 });
      await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos: 1 });
      await publish(ctx, publisher, ctx.topic(), 'once', { qos: 1 });
      const got = await receive(ctx, subscriber);
      ensure(got.qos === 1, `delivered at QoS ${got.qos}`);
      await subscriber.expectNothing(ctx.quiet, 'one delivery');
    },
  },
  {
    id: 'unsuback',
    title: 'UNSUBSCRIBE is answered with an UNSUBACK with its id, even when nothing was subscribed',
    rules: {
      4: ['MQTT-3.10.4-4', 'MQTT-3.10.4-5'],
      5: ['MQTT-3.10.4-4', 'MQTT-3.10.4-5', 'MQTT-3.11.3-2'],
    },
    async run(ctx) {
      const connection = await ctx.connected();
      const codes = await unsubscribe(ctx, connection, [ctx.topic('never')]);
      if (ctx.version === 5)
        ensure(codes.join() === '17' || codes.join() === '0', `UNSUBACK code ${codes.map(hex)}`);
    },
  },
  {
    id: 'unsubscribe-stops',
    title: 'After UNSUBSCRIBE no more messages arrive for the filter',
    rules: { 4: ['MQTT-3.10.4-2'], 5: ['MQTT-3.10.4-2'] },
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic());
      await unsubscribe(ctx, subscriber, [ctx.topic()]);
      await publish(ctx, publisher, ctx.topic(), 'after');
      await subscriber.expectNothing(ctx.quiet, 'nothing after UNSUBSCRIBE');
    },
  },
  {
    id: 'unsubscribe-literal',
    title: 'UNSUBSCRIBE compares filters literally: a topic does not remove a wildcard filter',
    rules: { 4: ['MQTT-3.10.4-1'], 5: ['MQTT-3.10.4-1'] },
    requires: needsWildcards,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic('+'));
      await unsubscribe(ctx, subscriber, [ctx.topic('x')]);
      await publish(ctx, publisher, ctx.topic('x'), 'still');
      await receive(ctx, subscriber, 'a message for the wildcard filter still subscribed');
    },
  },
  {
    id: 'multi-unsubscribe',
    title:
      'An UNSUBSCRIBE of several filters removes each and gets one UNSUBACK (5.0: a code each, in order)',
    rules: { 4: ['MQTT-3.10.4-6'], 5: ['MQTT-3.10.4-6', 'MQTT-3.11.3-1', 'MQTT-3.11.3-2'] },
    async run(ctx) {
      const connection = await ctx.connected();
      await subscribe(ctx, connection, [ctx.topic('a'), ctx.topic('b')]);
      const codes = await unsubscribe(ctx, connection, [
        ctx.topic('a'),
        ctx.topic('none'),
        ctx.topic('b'),
      ]);
      if (ctx.version === 5)
        ensure(codes.join() === '0,17,0', `UNSUBACK codes ${codes.map(hex)}, not 0x00,0x11,0x00`);
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, ctx.topic('a'), 'gone');
      await publish(ctx, publisher, ctx.topic('b'), 'gone');
      await connection.expectNothing(ctx.quiet, 'nothing for removed filters');
    },
  },
  {
    id: 'overlapping-one-filter',
    title: 'Messages matching two filters of one session arrive (no loss on overlap)',
    rules: { 4: ['MQTT-4.5.0-1'], 5: ['MQTT-4.5.0-1'] },
    requires: needsWildcards,
    async run(ctx) {
      const { subscriber, publisher } = await pair(ctx, ctx.topic('#'));
      await subscribed(ctx, subscriber, ctx.topic('x'));
      await publish(ctx, publisher, ctx.topic('x'), 'both');
      const got = await receive(ctx, subscriber);
      if (text(got) !== 'both') throw new CheckFailed(`delivered ${text(got)}`);
    },
  },
]);
