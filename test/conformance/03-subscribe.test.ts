// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK against the real server over TCP: wildcard
// matching, $-topics, overlapping subscriptions, subscription options, reason codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import {
  Harness,
  publishPacket,
  pubResponse,
  type RawClient,
  subscription,
  text,
} from './raw-client.js';

describe('03 subscribe', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  const client = (version: 4 | 5 = 5, clientId = `c${++n}`) => h.connected({ version, clientId });

  /** Publishes each topic (QoS 0) and returns the topics `sub` received, in order. */
  async function delivered(sub: RawClient, pub: RawClient, topics: string[]): Promise<string[]> {
    for (const t of topics) pub.send(publishPacket(t, t));
    // A marker on a topic the subscriber also holds ends the batch.
    pub.send(publishPacket('zz-end', 'end'));
    const got: string[] = [];
    for (;;) {
      const p = await sub.expect(PacketType.Publish);
      if (p.topic === 'zz-end') return got;
      got.push(p.topic);
    }
  }

  const matching: [string, string[], string[]][] = [
    [
      'sport/tennis/+',
      ['sport/tennis/player1', 'sport/tennis/player2'],
      ['sport/tennis/player1/ranking', 'sport/tennis', 'sport/golf/x'],
    ],
    [
      'sport/#',
      ['sport', 'sport/tennis', 'sport/tennis/player1/ranking', 'sport/'],
      ['sports', 'other/sport'],
    ],
    ['+/+', ['a/b', '/finance', 'a/'], ['a', 'a/b/c']],
    ['/+', ['/finance'], ['finance', 'a/b']],
    ['+', ['finance', 'x'], ['/finance', 'a/b']],
    ['a/+/c/#', ['a/b/c', 'a/x/c/d/e'], ['a/c', 'a/b/d']],
    ['#', ['anything', 'a/b/c', '/'], []],
  ];

  for (const [filter, yes, no] of matching) {
    it(`filter ${filter} matches ${yes.join(', ')} and nothing else [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-3.3.2-3]`, async () => {
      const sub = await client();
      assert.deepEqual(await sub.subscribe([filter, 'zz-end']), [0, 0]);
      const pub = await client();
      const got = await delivered(sub, pub, [...no, ...yes]);
      assert.deepEqual(got.sort(), [...yes].sort());
      sub.disconnect();
      pub.disconnect();
    });
  }

  it('matching is literal: no case folding, no collapsing of empty levels, no trailing-slash tolerance [MQTT-4.7.3-4]', async () => {
    const sub = await client();
    await sub.subscribe(['Case/Level', 'zz-end']);
    const pub = await client();
    assert.deepEqual(
      await delivered(sub, pub, [
        'case/level',
        'Case//Level',
        'Case/Level/',
        'Case/Level',
        'CASE/LEVEL',
      ]),
      ['Case/Level'],
    );
    sub.disconnect();
    pub.disconnect();
  });

  it('topics starting with $ are not matched by # or + in the first level, but by an explicit $ filter [MQTT-4.7.2-1]', async () => {
    const wild = await client();
    await wild.subscribe(['#', '+/x', 'zz-end']);
    const explicit = await client();
    await explicit.subscribe(['$test/#', '$test/+', 'zz-end']);
    const pub = await client();
    assert.deepEqual(await delivered(wild, pub, ['$test/x', '$test/y', 'plain/x']), ['plain/x']);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await explicit.expect(PacketType.Publish)).topic);
    assert.deepEqual(got, ['$test/x', '$test/y', 'zz-end']);
    for (const c of [wild, explicit, pub]) c.disconnect();
  });

  it('v5: overlapping subscriptions give one message at the highest QoS with every Subscription Identifier [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4]', async () => {
    const sub = await client();
    assert.deepEqual(
      await sub.subscribe([{ topicFilter: 'ov/#', qos: 0 }], { subscriptionIdentifiers: [11] }),
      [0],
    );
    assert.deepEqual(
      await sub.subscribe([{ topicFilter: 'ov/+', qos: 2 }], { subscriptionIdentifiers: [22] }),
      [2],
    );
    assert.deepEqual(await sub.subscribe([{ topicFilter: 'ov/a', qos: 1 }]), [1]);
    const pub = await client();
    await pub.publish('ov/a', 'x', { qos: 2 });
    const got = await sub.receive();
    assert.equal(got.qos, 2);
    assert.deepEqual([...got.properties.subscriptionIdentifiers!].sort(), [11, 22]);
    await sub.expectNothing(200);
    // Only the identifiers of the subscriptions that match.
    await pub.publish('ov/a/b', 'y', { qos: 2 });
    const deeper = await sub.receive();
    assert.equal(deeper.qos, 0);
    assert.deepEqual(deeper.properties.subscriptionIdentifiers, [11]);
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: a shared and a non-shared subscription of one client each get a copy with their own identifier [MQTT-3.3.4-5]', async () => {
    const sub = await client();
    await sub.subscribe([{ topicFilter: 'copies/+', qos: 1 }], { subscriptionIdentifiers: [1] });
    await sub.subscribe([{ topicFilter: '$share/g/copies/+', qos: 1 }], {
      subscriptionIdentifiers: [2],
    });
    const pub = await client();
    await pub.publish('copies/x', 'x', { qos: 1 });
    const ids = [await sub.receive(), await sub.receive()].map(
      (p) => p.properties.subscriptionIdentifiers,
    );
    assert.deepEqual(ids.sort(), [[1], [2]]);
    sub.disconnect();
    pub.disconnect();
  });

  it('v3.1.1: overlapping subscriptions: the delivery honours the highest granted QoS [MQTT-3.3.5-1]', async () => {
    const sub = await client(4);
    await sub.subscribe([
      { topicFilter: 'ov4/#', qos: 0 },
      { topicFilter: 'ov4/+', qos: 1 },
    ]);
    const pub = await client(4);
    await pub.publish('ov4/a', 'x', { qos: 1 });
    const got = await sub.receive();
    assert.equal(got.qos, 1);
    await sub.expectNothing(200);
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: No Local: a client’s own messages are not sent back on that subscription [MQTT-3.8.3-3]', async () => {
    const self = await client();
    await self.subscribe([{ topicFilter: 'nl/#', noLocal: true }]);
    const other = await client();
    await other.subscribe(['nl/#']);
    self.send(publishPacket('nl/a', 'from self'));
    assert.equal(text(await other.expect(PacketType.Publish)), 'from self');
    await self.expectNothing(200);
    other.send(publishPacket('nl/b', 'from other'));
    assert.equal(text(await self.expect(PacketType.Publish)), 'from other');
    // Without No Local the publisher does get its own message.
    const echo = await client();
    await echo.subscribe(['echo']);
    echo.send(publishPacket('echo', 'me'));
    assert.equal(text(await echo.expect(PacketType.Publish)), 'me');
    for (const c of [self, other, echo]) c.disconnect();
  });

  it('v5: Retain As Published 0 clears RETAIN on forwarded messages, 1 keeps it [MQTT-3.3.1-12] [MQTT-3.3.1-13]', async () => {
    const cleared = await client();
    await cleared.subscribe([{ topicFilter: 'rap/x', retainAsPublished: false }]);
    const kept = await client();
    await kept.subscribe([{ topicFilter: 'rap/x', retainAsPublished: true }]);
    const pub = await client();
    pub.send(publishPacket('rap/x', 'r', { retain: true }));
    pub.send(publishPacket('rap/x', 'n', { retain: false }));
    assert.deepEqual(
      [await cleared.expect(PacketType.Publish), await cleared.expect(PacketType.Publish)].map(
        (p) => p.retain,
      ),
      [false, false],
    );
    assert.deepEqual(
      [await kept.expect(PacketType.Publish), await kept.expect(PacketType.Publish)].map(
        (p) => p.retain,
      ),
      [true, false],
    );
    pub.send(publishPacket('rap/x', '', { retain: true }));
    for (const c of [cleared, kept, pub]) c.disconnect();
  });

  it('v3.1.1: messages forwarded to established subscriptions carry RETAIN 0 [MQTT-3.3.1-9]', async () => {
    const sub = await client(4);
    await sub.subscribe(['rap4/x']);
    const pub = await client(4);
    pub.send(publishPacket('rap4/x', 'r', { retain: true }));
    const got = await sub.expect(PacketType.Publish);
    assert.equal(got.retain, false);
    pub.send(publishPacket('rap4/x', '', { retain: true }));
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: Retain Handling 0 sends retained on every subscribe, 1 only for a new subscription, 2 never [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] [MQTT-3.8.4-3] [MQTT-3.8.4-4]', async () => {
    const pub = await client();
    await pub.publish('rh/a', 'retained', { qos: 1, retain: true });
    const sub = await client();
    const retainedAfter = async (retainHandling: 0 | 1 | 2) => {
      assert.deepEqual(await sub.subscribe([{ topicFilter: 'rh/+', retainHandling }]), [0]);
      const got = await sub.collect(150);
      return got.map((p) => (p.type === PacketType.Publish ? text(p) : `type ${p.type}`));
    };
    assert.deepEqual(await retainedAfter(2), [], 'RH 2, new');
    assert.deepEqual(await retainedAfter(1), [], 'RH 1, existing');
    assert.deepEqual(await retainedAfter(0), ['retained'], 'RH 0, existing: re-sent');
    assert.deepEqual(await retainedAfter(0), ['retained'], 'RH 0 again');
    assert.deepEqual(await retainedAfter(2), [], 'RH 2, existing');
    // A new subscription with RH 1 does get them.
    const fresh = await client();
    assert.deepEqual(await fresh.subscribe([{ topicFilter: 'rh/+', retainHandling: 1 }]), [0]);
    assert.equal(text(await fresh.expect(PacketType.Publish)), 'retained');
    // The replaced subscription still delivers live messages: one copy, not two.
    pub.send(publishPacket('rh/a', 'live'));
    assert.equal(text(await sub.expect(PacketType.Publish)), 'live');
    await sub.expectNothing(150);
    await pub.publish('rh/a', '', { qos: 1, retain: true });
    for (const c of [pub, sub, fresh]) c.disconnect();
  });

  it('v3.1.1: re-subscribing replaces the subscription, re-sends retained messages and keeps the flow [MQTT-3.8.4-3]', async () => {
    const pub = await client(4);
    await pub.publish('resub/a', 'kept', { qos: 1, retain: true });
    const sub = await client(4);
    await sub.subscribe([{ topicFilter: 'resub/#', qos: 0 }]);
    assert.equal(text(await sub.expect(PacketType.Publish)), 'kept');
    await sub.subscribe([{ topicFilter: 'resub/#', qos: 1 }]);
    const again = await sub.receive();
    assert.equal(text(again), 'kept');
    assert.equal(again.retain, true);
    await pub.publish('resub/a', 'now', { qos: 1 });
    const live = await sub.receive();
    assert.equal(live.qos, 1, 'the new QoS applies');
    await sub.expectNothing(150);
    await pub.publish('resub/a', '', { qos: 1, retain: true });
    sub.disconnect();
    pub.disconnect();
  });

  for (const version of [4, 5] as const) {
    it(`v${version}: SUBACK echoes the packet id with one code per filter, in order: granted QoS or failure [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-5] [MQTT-3.8.4-6] [MQTT-3.8.4-7] [MQTT-3.8.4-4] [MQTT-3.9.3-1] [MQTT-3.9.3-2] [MQTT-2.2.1-6] [MQTT-2.3.1-7] [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.1-3]`, async () => {
      const sub = await client(version);
      const failure = version === 5 ? ReasonCode.TopicFilterInvalid : 0x80;
      sub.send({
        type: PacketType.Subscribe,
        packetId: 0x1234,
        subscriptions: [
          subscription({ topicFilter: 'good/0', qos: 0 }),
          subscription({ topicFilter: 'bad/#/x', qos: 1 }),
          subscription({ topicFilter: 'good/2', qos: 2 }),
          subscription({ topicFilter: 'bad+', qos: 1 }),
          subscription({ topicFilter: 'bad#', qos: 1 }),
          subscription({ topicFilter: 'a/+b', qos: 1 }),
          subscription({ topicFilter: 'good/+/1', qos: 1 }),
        ],
        properties: {},
      });
      const suback = await sub.expect(PacketType.Suback);
      assert.equal(suback.packetId, 0x1234);
      assert.deepEqual(suback.reasonCodes, [0, failure, 2, failure, failure, failure, 1]);
      // The good ones work, each at its own QoS, the bad ones subscribed nothing.
      const pub = await client(version);
      await pub.publish('good/2', 'x', { qos: 2 });
      assert.equal((await sub.receive()).qos, 2);
      await pub.publish('good/x/1', 'x', { qos: 2 });
      assert.equal((await sub.receive()).qos, 1);
      sub.disconnect();
      pub.disconnect();
    });
  }

  it('v5: invalid shared filters get 0x8F in SUBACK [MQTT-4.8.2-1] [MQTT-4.8.2-2]', async () => {
    const sub = await client();
    assert.deepEqual(
      await sub.subscribe(['$share/g+/x', '$share//x', '$share/g', '$share/g/', '$share/g/ok']),
      [0x8f, 0x8f, 0x8f, 0x8f, 0],
    );
    sub.disconnect();
  });

  for (const version of [4, 5] as const) {
    it(`v${version}: UNSUBSCRIBE is answered with UNSUBACK with the same id, literal match, in order, even when nothing matched [MQTT-3.10.4-1] [MQTT-3.10.4-2] [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-3.10.4-6] [MQTT-3.11.3-1] [MQTT-3.11.3-2] [MQTT-2.2.1-6] [MQTT-2.3.1-7]`, async () => {
      const sub = await client(version);
      await sub.subscribe(['un/a', 'un/+', 'un/#']);
      sub.send({
        type: PacketType.Unsubscribe,
        packetId: 0x4321,
        // 'un/b' is matched by 'un/+' but is not literally subscribed: nothing removed.
        topicFilters: ['un/b', 'un/+', 'never', 'un/a'],
        properties: {},
      });
      const unsuback = await sub.expect(PacketType.Unsuback);
      assert.equal(unsuback.packetId, 0x4321);
      if (version === 5)
        assert.deepEqual(unsuback.reasonCodes, [
          ReasonCode.NoSubscriptionExisted,
          0,
          ReasonCode.NoSubscriptionExisted,
          0,
        ]);
      else assert.deepEqual(unsuback.reasonCodes, []);
      // Only 'un/#' is left: one message, and none on a topic only 'un/a' matched... all via '#'.
      const pub = await client(version);
      pub.send(publishPacket('un/a', 'x'));
      pub.send(publishPacket('other', 'y'));
      assert.equal((await sub.expect(PacketType.Publish)).topic, 'un/a');
      await sub.expectNothing(150);
      sub.send({
        type: PacketType.Unsubscribe,
        packetId: 2,
        topicFilters: ['un/#'],
        properties: {},
      });
      await sub.expect(PacketType.Unsuback);
      pub.send(publishPacket('un/a', 'gone'));
      await sub.expectNothing(200);
      sub.disconnect();
      pub.disconnect();
    });
  }

  it('a QoS 2 delivery already started completes after UNSUBSCRIBE [MQTT-3.10.4-3]', async () => {
    const sub = await client();
    await sub.subscribe([{ topicFilter: 'unq2', qos: 2 }]);
    const pub = await client();
    await pub.publish('unq2', 'x', { qos: 2 });
    const got = await sub.expect(PacketType.Publish);
    sub.send({ type: PacketType.Unsubscribe, packetId: 9, topicFilters: ['unq2'], properties: {} });
    await sub.expect(PacketType.Unsuback);
    sub.send(pubResponse(PacketType.Pubrec, got.packetId!));
    assert.equal((await sub.expect(PacketType.Pubrel)).packetId, got.packetId);
    sub.send(pubResponse(PacketType.Pubcomp, got.packetId!));
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: a Subscription Identifier is attached to messages of that subscription only [MQTT-3.3.4-3]', async () => {
    const sub = await client();
    await sub.subscribe(['sid/a'], { subscriptionIdentifiers: [268_435_455] });
    await sub.subscribe(['sid/b']);
    const pub = await client();
    pub.send(publishPacket('sid/a', 'a'));
    pub.send(publishPacket('sid/b', 'b'));
    const a = await sub.expect(PacketType.Publish);
    const b = await sub.expect(PacketType.Publish);
    assert.deepEqual(a.properties.subscriptionIdentifiers, [268_435_455]);
    assert.equal(b.properties.subscriptionIdentifiers, undefined);
    sub.disconnect();
    pub.disconnect();
  });

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.8.3-2] [MQTT-3.10.3-2] [MQTT-4.13.1-1]'
        : '[MQTT-3.8.3-3] [MQTT-3.10.3-2] [MQTT-4.8.0-1]';
    it(`v${version}: SUBSCRIBE or UNSUBSCRIBE without any filter is a protocol error: close ${rules}`, async () => {
      for (const wire of version === 5
        ? ['82 03 00 05 00', 'a2 03 00 05 00']
        : ['82 02 00 05', 'a2 02 00 05']) {
        const c = await client(version);
        c.send(Buffer.from(wire.replaceAll(' ', ''), 'hex'));
        const packets = await c.expectClose();
        if (version === 5) {
          assert.equal(packets.length, 1);
          assert.ok(packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode >= 0x80);
        } else assert.deepEqual(packets, []);
      }
    });
  }
});
