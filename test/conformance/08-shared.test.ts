// Shared subscriptions against the real server over TCP: $share/group/filter and $queue/
// distribution, granted QoS per member, in-flight messages when a member leaves, No Local.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import { Harness, publishPacket, pubResponse, type RawClient, sleep, text } from './raw-client.js';

describe('08 shared subscriptions', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await Harness.start({ broker: { sharedSubscriptionStrategy: 'round-robin' } });
  });
  after(() => h.close());

  const client = (version: 4 | 5 = 5, clientId = `s${++n}`) => h.connected({ version, clientId });

  /** Members subscribed to `filter`, each at `qos`. */
  async function members(count: number, filter: string, qos: 0 | 1 | 2 = 1, version: 4 | 5 = 5) {
    const out: RawClient[] = [];
    for (let i = 0; i < count; i++) {
      const m = await client(version);
      assert.deepEqual(await m.subscribe([{ topicFilter: filter, qos }]), [qos]);
      out.push(m);
    }
    return out;
  }

  /** Payloads each client received within `ms`, acknowledging them. */
  async function received(clients: RawClient[], ms = 200): Promise<string[][]> {
    await sleep(ms);
    const out: string[][] = [];
    for (const c of clients) {
      const got: string[] = [];
      for (const p of c.packets.splice(0)) {
        if (p.type !== PacketType.Publish) continue;
        got.push(text(p));
        if (p.qos === 1) c.send(pubResponse(PacketType.Puback, p.packetId!));
      }
      out.push(got);
    }
    return out;
  }

  for (const version of [4, 5] as const) {
    it(`v${version}: $share/group/filter: each message goes to exactly one member, round robin [MQTT-4.8.2-1] [MQTT-4.8.2-2]`, async () => {
      const group = await members(3, `$share/rr${version}/rr${version}/+`, 1, version);
      const pub = await client(version);
      for (let i = 0; i < 9; i++) await pub.publish(`rr${version}/t`, `${i}`, { qos: 1 });
      const got = await received(group);
      assert.deepEqual(
        got.map((g) => g.length),
        [3, 3, 3],
      );
      assert.deepEqual(got.flat().sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8']);
      // Each member sees its share in publishing order.
      for (const g of got) assert.deepEqual(g, [...g].sort());
      for (const c of [...group, pub]) c.disconnect();
    });
  }

  it('two groups and a plain subscriber on one filter: every group and the plain one get each message', async () => {
    const a = await members(2, '$share/ga/multi/#');
    const b = await members(2, '$share/gb/multi/#');
    const [plain] = await members(1, 'multi/#');
    const pub = await client();
    for (let i = 0; i < 4; i++) await pub.publish('multi/x', `${i}`, { qos: 1 });
    const [a1, a2, b1, b2, p] = await received([...a, ...b, plain!]);
    assert.deepEqual([...a1!, ...a2!].sort(), ['0', '1', '2', '3']);
    assert.deepEqual([...b1!, ...b2!].sort(), ['0', '1', '2', '3']);
    assert.deepEqual(p, ['0', '1', '2', '3']);
    for (const c of [...a, ...b, plain!, pub]) c.disconnect();
  });

  it('$queue/filter shares like one group', async () => {
    const q = await members(2, '$queue/jobs/+');
    const pub = await client();
    for (let i = 0; i < 6; i++) await pub.publish('jobs/x', `${i}`, { qos: 1 });
    const got = await received(q);
    assert.deepEqual(
      got.map((g) => g.length),
      [3, 3],
    );
    assert.deepEqual(got.flat().sort(), ['0', '1', '2', '3', '4', '5']);
    for (const c of [...q, pub]) c.disconnect();
  });

  it('v5: each member gets the message at its own granted QoS [MQTT-4.8.2-3]', async () => {
    const [low] = await members(1, '$share/qos/qos', 0);
    const [high] = await members(1, '$share/qos/qos', 2);
    const pub = await client();
    await pub.publish('qos', 'a', { qos: 2 });
    await pub.publish('qos', 'b', { qos: 2 });
    const lowGot = await low!.expect(PacketType.Publish);
    const highGot = await high!.expect(PacketType.Publish);
    assert.equal(lowGot.qos, 0);
    assert.equal(highGot.qos, 2);
    await high!.acknowledge(highGot);
    for (const c of [low!, high!, pub]) c.disconnect();
  });

  it('v5: a shared subscription gets no retained messages on subscribe, and RETAIN 0 on live ones', async () => {
    const pub = await client();
    await pub.publish('shret/a', 'old', { qos: 1, retain: true });
    const [m] = await members(1, '$share/r/shret/#');
    await m!.expectNothing(200);
    await pub.publish('shret/a', 'new', { qos: 1, retain: true });
    const got = await m!.receive();
    assert.equal(text(got), 'new');
    assert.equal(got.retain, false);
    await pub.publish('shret/a', '', { qos: 1, retain: true });
    await m!.receive();
    m!.disconnect();
    pub.disconnect();
  });

  it('v5: a QoS 1 message in flight to a member whose session ends goes to another member', async () => {
    const [leaver, stayer] = await members(2, '$share/fail/fail', 1);
    const pub = await client();
    // Round robin: the first message goes to the first member.
    await pub.publish('fail', 'm1', { qos: 1 });
    const first = await leaver!.expect(PacketType.Publish);
    assert.equal(text(first), 'm1');
    // Dropped without PUBACK; Session Expiry 0, so its session ends with the connection.
    leaver!.destroy();
    const moved = await stayer!.expect(PacketType.Publish);
    assert.equal(text(moved), 'm1');
    await stayer!.acknowledge(moved);
    await stayer!.expectNothing(200);
    stayer!.disconnect();
    pub.disconnect();
  });

  it('v5: a QoS 2 message in flight to a member that reconnects is completed with that member [MQTT-4.8.2-4]', async () => {
    const opts = { clientId: 'q2member', clean: false, properties: { sessionExpiryInterval: 60 } };
    const member = await h.connected({ ...opts, clean: true });
    await member.subscribe([{ topicFilter: '$share/q2/q2shared', qos: 2 }]);
    const [other] = await members(1, '$share/q2/q2shared', 2);
    const pub = await client();
    await pub.publish('q2shared', 'only once', { qos: 2 });
    const sent = await member.expect(PacketType.Publish);
    member.destroy();
    await sleep(100);
    await other!.expectNothing(200);
    const back = await h.connected(opts);
    const again = await back.expect(PacketType.Publish);
    assert.equal(again.packetId, sent.packetId);
    assert.equal(again.dup, true);
    await back.acknowledge(again);
    await other!.expectNothing(200);
    back.disconnect(0, { sessionExpiryInterval: 0 });
    other!.disconnect();
    pub.disconnect();
  });

  it('v5: a QoS 2 message in flight to a member whose session ends is not sent to another member [MQTT-4.8.2-5]', async () => {
    const [leaver, stayer] = await members(2, '$share/q2end/q2end', 2);
    const pub = await client();
    await pub.publish('q2end', 'in flight', { qos: 2 });
    const first = await leaver!.expect(PacketType.Publish);
    assert.equal(text(first), 'in flight');
    leaver!.destroy();
    await stayer!.expectNothing(300);
    // The group still works for new messages.
    await pub.publish('q2end', 'next', { qos: 2 });
    assert.equal(text(await stayer!.receive()), 'next');
    stayer!.disconnect();
    pub.disconnect();
  });

  it('v5: a shared message refused with PUBACK 0x80 or above is dropped, not redistributed [MQTT-4.8.2-6]', async () => {
    const [refuser, other] = await members(2, '$share/ref/ref', 1);
    const pub = await client();
    await pub.publish('ref', 'refused', { qos: 1 });
    const got = await refuser!.expect(PacketType.Publish);
    refuser!.send(pubResponse(PacketType.Puback, got.packetId!, ReasonCode.UnspecifiedError));
    refuser!.disconnect();
    await refuser!.expectClose();
    await other!.expectNothing(300);
    other!.disconnect();
    pub.disconnect();
  });

  it('v5: No Local on a shared subscription is a Protocol Error: DISCONNECT 0x82 [MQTT-3.8.3-4] [MQTT-4.13.1-1]', async () => {
    const c = await client();
    c.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [
        {
          topicFilter: '$share/nl/x',
          qos: 0,
          noLocal: true,
          retainAsPublished: false,
          retainHandling: 0,
        },
      ],
      properties: {},
    });
    const packets = await c.expectClose();
    assert.equal(packets.length, 1);
    assert.equal(
      packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode,
      ReasonCode.ProtocolError,
    );
  });

  it('unsubscribing a shared subscription leaves the group', async () => {
    const [a, b] = await members(2, '$share/leave/leave');
    a!.send({
      type: PacketType.Unsubscribe,
      packetId: 5,
      topicFilters: ['$share/leave/leave'],
      properties: {},
    });
    assert.deepEqual((await a!.expect(PacketType.Unsuback)).reasonCodes, [0]);
    const pub = await client();
    for (let i = 0; i < 3; i++) pub.send(publishPacket('leave', `${i}`));
    const [ga, gb] = await received([a!, b!]);
    assert.deepEqual(ga, []);
    assert.deepEqual(gb, ['0', '1', '2']);
    for (const c of [a!, b!, pub]) c.disconnect();
  });
});
