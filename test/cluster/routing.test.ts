// Cluster routing, black-box: three `culex start --cluster` nodes (A, B, C) on a 3-server
// NATS cluster, MQTT.js clients on different nodes. A message crosses nodes with its QoS,
// properties and topic intact, exactly once per subscribing session; shared groups span the
// nodes; retained messages are the cluster's.
import assert from 'node:assert/strict';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import { connect as rawConnect } from '../conformance/raw-client.js';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import {
  acks,
  Cluster,
  collect,
  inbox,
  propagated,
  type Received,
  real,
  sleep,
  until,
} from './harness.js';

describe('cluster routing', () => {
  let cluster: Cluster;
  let n = 0;
  const id = (what: string) => `rt-${what}-${++n}`;
  const connect = (node: string, what: string, protocolVersion: 4 | 5 = 5) =>
    cluster.connect(node, { clientId: id(what), protocolVersion });

  before(async () => {
    cluster = await Cluster.start('rt', ['A', 'B', 'C']);
  });
  after(() => cluster?.close());

  it('a PUBLISH on A reaches B at the granted QoS with every 5.0 property [MQTT-3.8.4-8] [MQTT-3.3.2-4] [MQTT-3.3.2-6] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17]', {
    timeout: 15_000,
  }, async () => {
    const sub = await connect('B', 'props-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('props/1', { qos: 1 });
    const pub = await connect('A', 'props-pub');
    await propagated(pub, 'props/1', got);
    const correlationData = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    await pub.publishAsync('props/1', 'payload ☃', {
      qos: 2,
      properties: {
        contentType: 'text/plain; charset=utf-8',
        responseTopic: 'props/reply',
        correlationData,
        // Keys out of alphabetical order, and one key twice: the order must be kept.
        userProperties: { zulu: 'z', alpha: 'a', dup: ['first', 'second'], mike: 'm' },
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
      },
    });
    const [message] = real(await collect(got, 2));
    assert.ok(message, 'the message arrived on B');
    assert.equal(message.payload.toString(), 'payload ☃');
    assert.equal(message.packet.qos, 1, 'QoS 2 downgraded to the granted QoS 1');
    const p = message.packet.properties ?? {};
    assert.equal(p.contentType, 'text/plain; charset=utf-8');
    assert.equal(p.responseTopic, 'props/reply');
    assert.deepEqual(p.correlationData, correlationData);
    assert.equal(p.payloadFormatIndicator, true);
    assert.deepEqual(Object.entries(p.userProperties ?? {}), [
      ['zulu', 'z'],
      ['alpha', 'a'],
      ['dup', ['first', 'second']],
      ['mike', 'm'],
    ]);
    assert.ok(
      p.messageExpiryInterval !== undefined &&
        p.messageExpiryInterval > 0 &&
        p.messageExpiryInterval <= 60,
      `message expiry interval ${p.messageExpiryInterval} in (0, 60]`,
    );
  });

  it('a 3.1.1 publisher on A reaches a 5.0 subscriber on C', { timeout: 15_000 }, async () => {
    const sub = await connect('C', 'v4-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('v4/+', { qos: 2 });
    const pub = await connect('A', 'v4-pub', 4);
    await propagated(pub, 'v4/t', got);
    await pub.publishAsync('v4/t', 'from 3.1.1', { qos: 1 });
    await pub.publishAsync('v4/t', 'qos 2 from 3.1.1', { qos: 2 });
    const messages = real(await collect(got, 3));
    assert.deepEqual(
      messages.map((m) => [m.topic, m.payload.toString(), m.packet.qos]),
      [
        ['v4/t', 'from 3.1.1', 1],
        ['v4/t', 'qos 2 from 3.1.1', 2],
      ],
    );
  });

  it('overlapping subscriptions of one session on B: one copy with both identifiers [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4]', {
    timeout: 15_000,
  }, async () => {
    const sub = await connect('B', 'overlap');
    const got = inbox(sub);
    await sub.subscribeAsync('o/+/x', { qos: 0, properties: { subscriptionIdentifier: 1 } });
    await sub.subscribeAsync('o/#', { qos: 1, properties: { subscriptionIdentifier: 2 } });
    const pub = await connect('A', 'overlap-pub');
    await propagated(pub, 'o/probe/x', got);
    await sleep(100); // a late second probe copy would show up as a duplicate below
    got.length = 0;
    for (let i = 0; i < 3; i++) await pub.publishAsync('o/k/x', `m${i}`, { qos: 1 });
    await collect(got, 6, 1_000); // more than 3 would be duplicates
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['m0', 'm1', 'm2'],
    );
    for (const m of got) {
      const ids = m.packet.properties?.subscriptionIdentifier;
      assert.deepEqual([ids].flat().sort(), [1, 2], 'both subscription identifiers');
      assert.equal(m.packet.qos, 1, 'the highest granted QoS of the two');
    }
  });

  it('two clients on B with overlapping filters: each gets exactly one copy', {
    timeout: 15_000,
  }, async () => {
    const one = await connect('B', 'overlap-1');
    const two = await connect('B', 'overlap-2');
    const got1 = inbox(one);
    const got2 = inbox(two);
    await one.subscribeAsync('o2/+/x', { qos: 1 });
    await two.subscribeAsync('o2/#', { qos: 1 });
    const pub = await connect('A', 'overlap-2-pub');
    await propagated(pub, 'o2/probe/x', got1);
    await propagated(pub, 'o2/probe/x', got2);
    await sleep(100);
    got1.length = 0;
    got2.length = 0;
    for (let i = 0; i < 5; i++) await pub.publishAsync('o2/k/x', `m${i}`, { qos: 1 });
    await collect(got1, 10, 1_000);
    await collect(got2, 10, 200);
    const expected = ['m0', 'm1', 'm2', 'm3', 'm4'];
    assert.deepEqual(
      got1.map((m) => m.payload.toString()),
      expected,
    );
    assert.deepEqual(
      got2.map((m) => m.payload.toString()),
      expected,
    );
  });

  it('every valid topic routes across nodes exactly once, payload intact [MQTT-4.7.3-4]', {
    timeout: 20_000,
  }, async () => {
    const topics = [
      'with space/and more spaces',
      'a.b',
      'a.b/c.d.e',
      '*',
      'star/*/x',
      '>',
      'gt/>',
      'a//b',
      '/lead',
      'trail/',
      '/',
      '//',
      'eq=/pct%/=20',
      '温度/☃',
      'émoji/🦟',
      'under_score/da-sh',
      `long/${'L'.repeat(1_000)}`,
      `long-escaped/${'.'.repeat(300)}`,
    ];
    const wide = await connect('B', 'topics-wide');
    const exact = await connect('B', 'topics-exact');
    const gotWide = inbox(wide);
    const gotExact = inbox(exact);
    await wide.subscribeAsync('#', { qos: 1 });
    await exact.subscribeAsync(Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])));
    const pub = await connect('A', 'topics-pub');
    await propagated(pub, topics[0]!, gotWide);
    await propagated(pub, topics[0]!, gotExact);
    await sleep(100);
    gotWide.length = 0;
    gotExact.length = 0;
    for (const [i, topic] of topics.entries())
      await pub.publishAsync(topic, `payload ${i} ${topic}`, { qos: 1 });
    const ours = (got: Received[]) =>
      got.filter((m) => !m.packet.retain && topics.includes(m.topic));
    await until(
      () => ours(gotWide).length >= topics.length && ours(gotExact).length >= topics.length,
      'every topic on both subscribers',
      5_000,
    ).catch(() => {});
    await sleep(200); // duplicates, if any
    for (const [name, got] of [
      ['#', gotWide],
      ['exact filters', gotExact],
    ] as const) {
      const seen = ours(got).map((m) => `${m.topic} -> ${m.payload.toString()}`);
      const expected = topics.map((t, i) => `${t} -> payload ${i} ${t}`);
      assert.deepEqual(seen.sort(), expected.sort(), `${name}: each topic exactly once`);
    }
  });

  it('nobody subscribed anywhere: the message is dropped; QoS 1 still gets PUBACK 0x00, not 0x10', {
    timeout: 15_000,
  }, async () => {
    const pub = await connect('A', 'nobody-pub');
    const got = acks(pub);
    await pub.publishAsync('nobody/here', 'lost', { qos: 1 });
    await pub.publishAsync('nobody/here', 'lost too', { qos: 2 });
    assert.deepEqual(
      got.map((a) => [a.cmd, a.reasonCode ?? 0]),
      [
        ['puback', 0],
        ['pubrec', 0],
      ],
    );
    // Subscribing afterwards, anywhere, brings nothing (they were not retained).
    const late = await Promise.all(['A', 'B', 'C'].map((node) => connect(node, 'nobody-late')));
    const gots = late.map(inbox);
    for (const c of late) await c.subscribeAsync('nobody/#', { qos: 1 });
    await sleep(300);
    assert.deepEqual(
      gots.map((g) => g.length),
      [0, 0, 0],
    );
  });

  it('QoS 1 on a node whose only subscriber is elsewhere: PUBACK 0x00 and delivered', {
    timeout: 15_000,
  }, async () => {
    const sub = await connect('C', 'remote-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('remote/only', { qos: 1 });
    const pub = await connect('A', 'remote-pub');
    await propagated(pub, 'remote/only', got);
    const acked = acks(pub);
    await pub.publishAsync('remote/only', 'there', { qos: 1 });
    assert.deepEqual(
      acked.map((a) => [a.cmd, a.reasonCode ?? 0]),
      [['puback', 0]],
    );
    await until(() => real(got).length === 1, 'the message on C');
  });

  async function sharedAcrossNodes(filter: string, topic: string, count: number) {
    const members: MqttClient[] = [];
    for (const node of ['A', 'B', 'C']) members.push(await connect(node, 'member'));
    const gots = members.map(inbox);
    for (const m of members) await m.subscribeAsync(filter, { qos: 1 });
    const plain = await connect('C', 'plain');
    const gotPlain = inbox(plain);
    await plain.subscribeAsync(`${topic.split('/')[0]}/#`, { qos: 1 });
    const pub = await connect('A', 'shared-pub');
    await propagated(pub, topic, gotPlain);
    await sleep(300); // queue subscriptions travel the routes like plain ones
    for (const g of gots) g.length = 0;
    gotPlain.length = 0;
    for (let i = 0; i < count; i++) await pub.publishAsync(topic, `${i}`, { qos: 1 });
    const total = () => gots.reduce((s, g) => s + real(g).length, 0);
    await until(() => total() >= count && gotPlain.length >= count, `${count} messages`, 8_000);
    await sleep(300); // duplicates, if any
    const all = gots.flatMap((g) => real(g).map((m) => m.payload.toString()));
    const expected = Array.from({ length: count }, (_, i) => `${i}`);
    assert.deepEqual([...all].sort(), [...expected].sort(), 'each message to exactly one member');
    const nodesWithSome = gots.filter((g) => real(g).length > 0).length;
    assert.ok(
      nodesWithSome >= 2,
      `members on at least 2 nodes receive some: ${gots.map((g) => real(g).length)}`,
    );
    assert.deepEqual(
      gotPlain.map((m) => m.payload.toString()),
      expected,
      'the plain subscriber gets all',
    );
  }

  it('$share/g/filter across A, B, C: each message to exactly one member in the cluster [MQTT-4.8.2-1] [MQTT-4.8.2-2]', {
    timeout: 20_000,
  }, async () => {
    await sharedAcrossNodes('$share/g/s/#', 's/work', 60);
  });

  it('$queue/filter across A, B, C: each message to exactly one member in the cluster', {
    timeout: 20_000,
  }, async () => {
    await sharedAcrossNodes('$queue/q/#', 'q/work', 60);
  });

  async function retainedOn(node: string, filter: string, ms = 500): Promise<Received[]> {
    const c = await connect(node, 'ret-sub');
    const got = inbox(c);
    await c.subscribeAsync(filter, { qos: 1 });
    await sleep(ms);
    c.end(true);
    return got;
  }

  it("retained messages are the cluster's: set, overwrite and delete from any node [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-7] [MQTT-3.3.1-9]", {
    timeout: 20_000,
  }, async () => {
    const a = await connect('A', 'ret-a');
    await a.publishAsync('ret/1', 'first', { qos: 1, retain: true });
    for (const node of ['B', 'C']) {
      const got = await retainedOn(node, 'ret/#');
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.toString(), m.packet.retain]),
        [['ret/1', 'first', true]],
        `a new subscriber on ${node}`,
      );
    }
    const c = await connect('C', 'ret-c');
    await c.publishAsync('ret/1', 'second', { qos: 1, retain: true });
    const gotA = await retainedOn('A', 'ret/1');
    assert.deepEqual(
      gotA.map((m) => [m.payload.toString(), m.packet.retain]),
      [['second', true]],
      'the overwrite, on A',
    );
    const b = await connect('B', 'ret-b');
    await b.publishAsync('ret/1', '', { qos: 1, retain: true });
    for (const node of ['A', 'B', 'C']) {
      const got = await retainedOn(node, 'ret/#');
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        [],
        `deleted, on ${node}`,
      );
    }
  });
  // The last three: on the bug they break node A's link to NATS, or kill node C, then A.
  it('a topic of 5,000 bytes routes across nodes, and nothing published next is lost [MQTT-4.7.3-3]', {
    timeout: 15_000,
  }, async () => {
    // A valid topic may be 65,535 bytes; as a NATS subject every 'é' takes 6 characters.
    const topic = `huge/${'é'.repeat(2_500)}`;
    const sub = await connect('B', 'huge-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('huge/#', { qos: 1 });
    const pub = await connect('A', 'huge-pub');
    await propagated(pub, 'huge/probe', got);
    await pub.publishAsync(topic, 'big', { qos: 1 });
    for (let i = 0; i < 20; i++) await pub.publishAsync('huge/after', `${i}`, { qos: 1 });
    await collect(got, 22, 3_000);
    const messages = real(got);
    assert.equal(messages.filter((m) => m.topic === topic).length, 1, 'the long topic on B');
    assert.equal(
      messages.filter((m) => m.topic === 'huge/after').length,
      20,
      'the 20 messages published after it on B',
    );
  });

  it('a burst of 8 messages of 300 KB on one topic crosses nodes; node C lives on', {
    timeout: 15_000,
  }, async () => {
    const sub = await connect('B', 'burst-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('burst/#', { qos: 0 });
    const pub = await connect('C', 'burst-pub');
    await propagated(pub, 'burst/probe', got);
    // Written back to back: the node reads them in one turn of its event loop.
    for (let i = 0; i < 8; i++) pub.publish('burst/x', Buffer.alloc(300_000, i), { qos: 0 });
    await collect(got, 9, 3_000);
    const node = cluster.nodes.find((x) => x.name === 'C')!;
    assert.equal(node.child.exitCode, null, `node C still runs: ${node.output().slice(-600)}`);
    assert.deepEqual(
      real(got).map((m) => m.payload.length === 300_000 && m.payload[0]),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'the 8 messages on B, in order',
    );
  });

  it('the maximum packet size is what NATS can carry: CONNACK says so, a larger PUBLISH is refused (0x95) and node A lives on [MQTT-3.2.2-15] [MQTT-3.1.2-24]', {
    timeout: 15_000,
  }, async () => {
    const sub = await connect('B', 'big-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('big/#', { qos: 1 });
    const pub = await connect('A', 'big-pub');
    await propagated(pub, 'big/probe', got);
    // NATS' default maximum payload is 1 MiB; the envelope needs room beside the packet.
    const maximum = (
      pub as unknown as { connackPacket?: { properties?: { maximumPacketSize?: number } } }
    ).connackPacket?.properties?.maximumPacketSize;
    assert.ok(
      maximum !== undefined && maximum < 1024 * 1024 && maximum > 900 * 1024,
      `CONNACK Maximum Packet Size ${maximum}`,
    );
    // A message just under the limit crosses whole.
    const fits = Buffer.alloc(maximum - 1024, 7);
    pub.publish('big/fits', fits, { qos: 1 });
    await collect(got, 2, 5_000);
    const [message] = real(got);
    assert.ok(message !== undefined && fits.equals(message.payload), 'the largest message on B');
    // Above it (MQTT.js would not send it, so a raw client does): DISCONNECT 0x95, then close.
    const node = cluster.nodes.find((x) => x.name === 'A')!;
    const { client: raw, connack } = await rawConnect(node.port, { clientId: id('big-raw') });
    assert.equal(connack.properties.maximumPacketSize, maximum);
    raw.send({
      type: PacketType.Publish,
      topic: 'big/too',
      payload: Buffer.alloc(maximum + 1, 1),
      qos: 0,
      retain: false,
      dup: false,
      properties: {},
    });
    const before = await raw.expectClose(5_000);
    const disconnect = before.find((p) => p.type === PacketType.Disconnect);
    assert.equal(
      disconnect?.type === PacketType.Disconnect && disconnect.reasonCode,
      ReasonCode.PacketTooLarge,
    );
    assert.equal(node.child.exitCode, null, `node A still runs: ${node.output().slice(-600)}`);
  });
});
