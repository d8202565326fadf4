// Sessions against the real server over TCP: Clean Session / Clean Start, queueing for offline
// persistent sessions, re-sending in-flight messages with DUP, QoS 2 across a reconnect,
// Session Expiry Interval.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import {
  type ConnectOptions,
  Harness,
  publishPacket,
  pubResponse,
  type RawClient,
  sleep,
  text,
} from './raw-client.js';

describe('05 session', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  /**
   * Options of a persistent session for each version. `fresh` starts a new one: Clean Start 1
   * in 5.0; in 3.1.1 Clean Session 1 would make the session non-persistent, so Clean Session 0
   * (each test uses its own client ids, and ends its sessions).
   */
  const persistent = (version: 4 | 5, clientId: string, fresh = false): ConnectOptions => ({
    version,
    clientId,
    clean: version === 5 && fresh,
    properties: version === 5 ? { sessionExpiryInterval: 60 } : {},
  });

  /** Closes normally and waits for the server to see it. */
  async function leave(client: RawClient, properties = {}) {
    client.disconnect(0, properties);
    await client.expectClose();
    await sleep(20);
  }

  /** Ends a persistent session for good (a clean connect, then leave). */
  async function endSession(version: 4 | 5, clientId: string) {
    await leave(await h.connected({ version, clientId, clean: true }));
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.1.2-23] [MQTT-3.1.3-2] [MQTT-4.5.0-1]'
        : '[MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.1.3-2] [MQTT-4.1.0-1] [MQTT-4.5.0-1]';
    it(`v${version}: a persistent session keeps its subscriptions and queues QoS 1/2 messages while offline, delivered in order on return ${rules}`, async () => {
      const id = `queue${version}`;
      const sub = await h.connected(persistent(version, id, true));
      await sub.subscribe([{ topicFilter: 'q/#', qos: 2 }]);
      await leave(sub);
      const pub = await h.connected({ version, clientId: `queue-pub${version}` });
      for (let i = 0; i < 10; i++)
        await pub.publish(`q/${i % 3}`, `${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
      // Another client id does not see that session.
      const stranger = await h.connected({ ...persistent(version, `${id}-other`), clean: false });
      await stranger.expectNothing(100);
      await leave(stranger);
      const { client: back, connack } = await h.connect(persistent(version, id));
      assert.equal(connack.sessionPresent, true);
      const got = [];
      for (let i = 0; i < 10; i++) {
        const p = await back.receive();
        got.push([text(p), p.qos]);
      }
      assert.deepEqual(
        got,
        Array.from({ length: 10 }, (_, i) => [`${i}`, 1 + (i % 2)]),
      );
      // The subscription is still there for live messages.
      await pub.publish('q/live', 'live', { qos: 1 });
      assert.equal(text(await back.receive()), 'live');
      await leave(back);
      await endSession(version, id);
      await endSession(version, `${id}-other`);
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.1.2-4] [MQTT-3.2.2-2]' : '[MQTT-3.1.2-6] [MQTT-3.2.2-1]';
    it(`v${version}: Clean Session / Clean Start 1 discards the stored session: no subscriptions, no queued messages ${rules}`, async () => {
      const id = `clean${version}`;
      const sub = await h.connected(persistent(version, id, true));
      await sub.subscribe([{ topicFilter: 'clean/#', qos: 1 }]);
      await leave(sub);
      const pub = await h.connected({ version, clientId: `clean-pub${version}` });
      await pub.publish('clean/a', 'queued', { qos: 1 });
      const { client: fresh, connack } = await h.connect({
        ...persistent(version, id),
        clean: true,
      });
      assert.equal(connack.sessionPresent, false);
      await fresh.expectNothing(200);
      await pub.publish('clean/a', 'live', { qos: 1 });
      await fresh.expectNothing(200);
      await leave(fresh);
      await endSession(version, id);
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-3] [MQTT-3.1.4-3]'
        : '[MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-1] [MQTT-3.1.4-2]';
    it(`v${version}: unacknowledged QoS 1 and 2 PUBLISHes are re-sent with DUP 1 and their ids on reconnect, also after a takeover ${rules}`, async () => {
      const id = `inflight${version}`;
      const sub = await h.connected(persistent(version, id, true));
      await sub.subscribe([{ topicFilter: 'inflight', qos: 2 }]);
      const pub = await h.connected({ version, clientId: `inflight-pub${version}` });
      await pub.publish('inflight', 'one', { qos: 1 });
      await pub.publish('inflight', 'two', { qos: 2 });
      const first = [await sub.expect(PacketType.Publish), await sub.expect(PacketType.Publish)];
      assert.deepEqual(
        first.map((p) => p.dup),
        [false, false],
      );
      // Dropped without acknowledging anything.
      sub.destroy();
      await sleep(50);
      const again = await h.connected(persistent(version, id));
      const resent = [
        await again.expect(PacketType.Publish),
        await again.expect(PacketType.Publish),
      ];
      assert.deepEqual(
        resent.map((p) => [text(p), p.qos, p.dup, p.packetId]),
        first.map((p) => [text(p), p.qos, true, p.packetId]),
      );
      // Taken over while still unacknowledged: the new connection gets them again.
      const third = await h.connected(persistent(version, id));
      await again.expectClose();
      const resentAgain = [
        await third.expect(PacketType.Publish),
        await third.expect(PacketType.Publish),
      ];
      assert.deepEqual(
        resentAgain.map((p) => [p.dup, p.packetId]),
        first.map((p) => [true, p.packetId]),
      );
      for (const p of resentAgain) await third.acknowledge(p);
      await leave(third);
      // Acknowledged: nothing is re-sent any more.
      const last = await h.connected(persistent(version, id));
      await last.expectNothing(200);
      await leave(last);
      await endSession(version, id);
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-4.4.0-1] [MQTT-4.3.3-5] [MQTT-4.3.3-6]'
        : '[MQTT-4.4.0-1] [MQTT-4.3.3-1]';
    it(`v${version}: QoS 2 towards a subscriber across a reconnect: after PUBREC only PUBREL is re-sent, never the PUBLISH ${rules}`, async () => {
      const id = `q2out${version}`;
      const sub = await h.connected(persistent(version, id, true));
      await sub.subscribe([{ topicFilter: 'q2out', qos: 2 }]);
      const pub = await h.connected({ version, clientId: `q2out-pub${version}` });
      await pub.publish('q2out', 'once', { qos: 2 });
      const got = await sub.expect(PacketType.Publish);
      sub.send(pubResponse(PacketType.Pubrec, got.packetId!));
      assert.equal((await sub.expect(PacketType.Pubrel)).packetId, got.packetId);
      sub.destroy();
      await sleep(50);
      const back = await h.connected(persistent(version, id));
      const rel = await back.expect(PacketType.Pubrel);
      assert.equal(rel.packetId, got.packetId);
      await back.expectNothing(200);
      back.send(pubResponse(PacketType.Pubcomp, got.packetId!));
      await leave(back);
      const done = await h.connected(persistent(version, id));
      await done.expectNothing(200);
      await leave(done);
      await endSession(version, id);
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.4.0-1]'
        : '[MQTT-4.3.3-2] [MQTT-4.4.0-1]';
    it(`v${version}: QoS 2 from a publisher across a reconnect: the re-sent PUBLISH is acknowledged, not delivered twice ${rules}`, async () => {
      const id = `q2in${version}`;
      const watcher = await h.connected({ version, clientId: `q2in-watch${version}` });
      await watcher.subscribe([{ topicFilter: 'q2in', qos: 2 }]);
      const pub = await h.connected(persistent(version, id, true));
      pub.send(publishPacket('q2in', 'exactly once', { qos: 2, packetId: 321 }));
      assert.equal((await pub.expect(PacketType.Pubrec)).packetId, 321);
      pub.destroy();
      await sleep(50);
      const back = await h.connected(persistent(version, id));
      back.send(publishPacket('q2in', 'exactly once', { qos: 2, packetId: 321, dup: true }));
      assert.equal((await back.expect(PacketType.Pubrec)).packetId, 321);
      back.send(pubResponse(PacketType.Pubrel, 321));
      const comp = await back.expect(PacketType.Pubcomp);
      assert.equal(comp.packetId, 321);
      assert.equal(comp.reasonCode, 0);
      assert.equal(text(await watcher.receive()), 'exactly once');
      await watcher.expectNothing(200);
      // A PUBREL alone after another reconnect (PUBCOMP lost) still gets PUBCOMP.
      const pub2 = await h.connected(persistent(version, id));
      pub2.send(publishPacket('q2in', 'second', { qos: 2, packetId: 322 }));
      await pub2.expect(PacketType.Pubrec);
      pub2.destroy();
      await sleep(50);
      const pub3 = await h.connected(persistent(version, id));
      pub3.send(pubResponse(PacketType.Pubrel, 322));
      assert.equal((await pub3.expect(PacketType.Pubcomp)).packetId, 322);
      assert.equal(text(await watcher.receive()), 'second');
      await watcher.expectNothing(200);
      await leave(pub3);
      await endSession(version, id);
      watcher.disconnect();
    });
  }

  it('v5: an unacknowledged PUBLISH whose Message Expiry passed is still re-sent on reconnect: expiry no longer applies once sent [MQTT-4.3.3-7] [MQTT-3.3.2-5] [MQTT-4.4.0-1]', async () => {
    const id = 'sent-then-expired';
    const sub = await h.connected(persistent(5, id, true));
    await sub.subscribe([{ topicFilter: 'sent-exp', qos: 2 }]);
    const pub = await h.connected({ clientId: 'sent-exp-pub' });
    const brief = { messageExpiryInterval: 1 };
    await pub.publish('sent-exp', 'two', { qos: 2, properties: brief });
    await pub.publish('sent-exp', 'one', { qos: 1, properties: brief });
    const first = [await sub.expect(PacketType.Publish), await sub.expect(PacketType.Publish)];
    sub.destroy();
    await sleep(1_300);
    const back = await h.connected(persistent(5, id));
    const resent = [await back.expect(PacketType.Publish), await back.expect(PacketType.Publish)];
    assert.deepEqual(
      resent.map((p) => [text(p), p.qos, p.dup, p.packetId]),
      first.map((p) => [text(p), p.qos, true, p.packetId]),
    );
    for (const p of resent) await back.acknowledge(p);
    await leave(back);
    await endSession(5, id);
    pub.disconnect();
  });

  it('v5: a PUBLISH refused with a reason code of 0x80 or more is not re-sent [MQTT-4.4.0-2]', async () => {
    const id = 'refuser';
    const sub = await h.connected(persistent(5, id, true));
    await sub.subscribe([{ topicFilter: 'refuse', qos: 2 }]);
    const pub = await h.connected({ clientId: 'refuse-pub' });
    await pub.publish('refuse', 'one', { qos: 1 });
    await pub.publish('refuse', 'two', { qos: 2 });
    const one = await sub.expect(PacketType.Publish);
    const two = await sub.expect(PacketType.Publish);
    sub.send(pubResponse(PacketType.Puback, one.packetId!, ReasonCode.UnspecifiedError));
    sub.send(pubResponse(PacketType.Pubrec, two.packetId!, ReasonCode.ImplementationSpecificError));
    // No PUBREL after a failing PUBREC.
    await sub.expectNothing(200);
    await leave(sub);
    const back = await h.connected(persistent(5, id));
    await back.expectNothing(200);
    await leave(back);
    await endSession(5, id);
    pub.disconnect();
  });

  it('v5: the session ends Session Expiry Interval seconds after the connection closes [MQTT-4.1.0-2] [MQTT-3.1.2-23]', async () => {
    const opts = { clientId: 'expiring', clean: false, properties: { sessionExpiryInterval: 1 } };
    const a = await h.connected(opts);
    await a.subscribe([{ topicFilter: 'expiring', qos: 1 }]);
    await leave(a);
    // Within the interval: still there.
    const { client: b, connack: c1 } = await h.connect(opts);
    assert.equal(c1.sessionPresent, true);
    await leave(b);
    await sleep(2_200);
    assert.equal(h.server.broker.core.sessions.has('expiring'), false);
    const { client: c, connack: c2 } = await h.connect(opts);
    assert.equal(c2.sessionPresent, false);
    const pub = await h.connected({ clientId: 'expiring-pub' });
    await pub.publish('expiring', 'x', { qos: 1 });
    await c.expectNothing(200);
    await leave(c, { sessionExpiryInterval: 0 });
    pub.disconnect();
  });

  it('v5: Session Expiry Interval 0 (or absent) ends the session when the connection closes [MQTT-3.1.2-23]', async () => {
    const a = await h.connected({ clientId: 'zero', clean: false });
    await a.subscribe(['zero']);
    await leave(a);
    assert.equal(h.server.broker.core.sessions.has('zero'), false);
    const { client, connack } = await h.connect({ clientId: 'zero', clean: false });
    assert.equal(connack.sessionPresent, false);
    await leave(client);
  });

  it('v5: DISCONNECT may shorten the Session Expiry Interval to 0: the session ends at once', async () => {
    const a = await h.connected(persistent(5, 'shorten', true));
    await leave(a, { sessionExpiryInterval: 0 });
    assert.equal(h.server.broker.core.sessions.has('shorten'), false);
  });

  it('v5: DISCONNECT raising a Session Expiry Interval of 0 is a Protocol Error: DISCONNECT 0x82 without Session Expiry Interval [MQTT-3.14.2-2] [MQTT-4.13.1-1]', async () => {
    const a = await h.connected({ clientId: 'raise', properties: {} });
    a.send({
      type: PacketType.Disconnect,
      reasonCode: 0,
      properties: { sessionExpiryInterval: 60 },
    });
    const packets = await a.expectClose();
    assert.equal(packets.length, 1);
    const d = packets[0]!;
    assert.ok(d.type === PacketType.Disconnect);
    assert.equal(d.reasonCode, ReasonCode.ProtocolError);
    assert.equal(d.properties.sessionExpiryInterval, undefined);
    await sleep(20);
    assert.equal(h.server.broker.core.sessions.has('raise'), false, 'the session still ended');
  });

  it('v5: the server never puts Session Expiry Interval in its DISCONNECT (takeover) [MQTT-3.14.2-2]', async () => {
    const a = await h.connected(persistent(5, 'no-sei'));
    await h.connected(persistent(5, 'no-sei'));
    const [d] = await a.expectClose();
    assert.ok(d?.type === PacketType.Disconnect);
    assert.equal(d.reasonCode, ReasonCode.SessionTakenOver);
    assert.equal(d.properties.sessionExpiryInterval, undefined);
    await endSession(5, 'no-sei');
  });

  it('v5: a granted Session Expiry Interval above the maximum is returned in CONNACK', async () => {
    const capped = await Harness.start({ broker: { maxSessionExpiryInterval: 5 } });
    try {
      const { client, connack } = await capped.connect({
        clientId: 'capped',
        properties: { sessionExpiryInterval: 3600 },
      });
      assert.equal(connack.properties.sessionExpiryInterval, 5);
      assert.equal(capped.server.broker.core.sessions.get('capped')?.expiryInterval, 5);
      client.disconnect();
    } finally {
      await capped.close();
    }
  });

  it('a full offline queue drops further messages and keeps the oldest', async () => {
    const small = await Harness.start({ broker: { maxQueuedMessages: 3 } });
    try {
      const sub = await small.connected({ version: 4, clientId: 'full', clean: false });
      await sub.subscribe([{ topicFilter: 'full', qos: 1 }]);
      sub.disconnect();
      await sub.expectClose();
      await sleep(20);
      const pub = await small.connected({ version: 4, clientId: 'full-pub' });
      for (let i = 0; i < 6; i++) await pub.publish('full', `${i}`, { qos: 1 });
      const back = await small.connected({ version: 4, clientId: 'full', clean: false });
      const got = [];
      for (let i = 0; i < 3; i++) got.push(text(await back.receive()));
      assert.deepEqual(got, ['0', '1', '2']);
      await back.expectNothing(200);
      back.disconnect();
      pub.disconnect();
    } finally {
      await small.close();
    }
  });
});
