// PUBLISH flows against the real server over TCP: QoS 0/1/2 in both directions, packet ids,
// QoS downgrade, 5.0 properties passed on, message expiry, topic aliases, the client's
// Maximum Packet Size and Receive Maximum.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import { Harness, publishPacket, pubResponse, type RawClient, sleep, text } from './raw-client.js';

describe('02 publish', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      broker: { receiveMaximum: 3, topicAliasMaximum: 4 },
      authorizePublish: (_client, topic) => !topic.startsWith('forbidden/'),
    });
  });
  after(() => h.close());

  /** A subscriber on `filter` at `qos`, and a separate publisher. */
  async function pair(name: string, filter: string, qos: 0 | 1 | 2, version: 4 | 5 = 5) {
    const sub = await h.connected({ version, clientId: `${name}-sub` });
    assert.deepEqual(await sub.subscribe([{ topicFilter: filter, qos }]), [qos]);
    const pub = await h.connected({ version, clientId: `${name}-pub` });
    return { sub, pub };
  }

  for (const version of [4, 5] as const) {
    it(`v${version}: QoS 0 is forwarded with QoS 0, DUP 0 and no packet id [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.2.1-2] [MQTT-2.3.1-5] [MQTT-3.3.2-3] [MQTT-3.3.4-1]`, async () => {
      const { sub, pub } = await pair(`q0v${version}`, `q0v${version}/+`, 2, version);
      pub.send(publishPacket(`q0v${version}/a`, 'zero'));
      const got = await sub.expect(PacketType.Publish);
      assert.equal(got.topic, `q0v${version}/a`);
      assert.equal(got.qos, 0);
      assert.equal(got.dup, false);
      assert.equal(got.packetId, undefined);
      assert.equal(text(got), 'zero');
      // QoS 0 needs no answer: the publisher hears nothing back.
      await pub.expectNothing(100);
      sub.disconnect();
      pub.disconnect();
    });

    it(`v${version}: QoS 1 both ways: PUBACK echoes the id; the subscriber gets a fresh non-zero id with DUP 0 [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-4.3.2-4] [MQTT-2.2.1-4] [MQTT-2.2.1-5] [MQTT-2.3.1-1] [MQTT-2.3.1-6] [MQTT-3.3.4-1]`, async () => {
      const { sub, pub } = await pair(`q1v${version}`, `q1v${version}`, 1, version);
      pub.send(publishPacket(`q1v${version}`, 'one', { qos: 1, packetId: 4242 }));
      const ack = await pub.expect(PacketType.Puback);
      assert.equal(ack.packetId, 4242);
      assert.equal(ack.reasonCode, 0);
      const got = await sub.expect(PacketType.Publish);
      assert.equal(got.qos, 1);
      assert.equal(got.dup, false);
      assert.ok(got.packetId !== undefined && got.packetId > 0);
      assert.equal(text(got), 'one');
      sub.send(pubResponse(PacketType.Puback, got.packetId!));
      // Reusing an acknowledged id is a new message, delivered again [MQTT-4.3.2-5].
      pub.send(publishPacket(`q1v${version}`, 'again', { qos: 1, packetId: 4242 }));
      assert.equal((await pub.expect(PacketType.Puback)).packetId, 4242);
      assert.equal(text(await sub.receive()), 'again');
      sub.disconnect();
      pub.disconnect();
    });

    it(`v${version}: QoS 2 from a publisher: PUBREC, a repeated PUBLISH gets PUBREC again and is delivered once, PUBREL gets PUBCOMP [MQTT-4.3.3-8] [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.3.3-2] [MQTT-2.3.1-6] [MQTT-3.3.4-1]`, async () => {
      const { sub, pub } = await pair(`q2v${version}`, `q2v${version}`, 2, version);
      pub.send(publishPacket(`q2v${version}`, 'two', { qos: 2, packetId: 77 }));
      const rec = await pub.expect(PacketType.Pubrec);
      assert.equal(rec.packetId, 77);
      assert.equal(rec.reasonCode, 0);
      // The same PUBLISH again (DUP) before PUBREL: PUBREC again, no second delivery.
      pub.send(publishPacket(`q2v${version}`, 'two', { qos: 2, packetId: 77, dup: true }));
      assert.equal((await pub.expect(PacketType.Pubrec)).packetId, 77);
      pub.send(pubResponse(PacketType.Pubrel, 77));
      const comp = await pub.expect(PacketType.Pubcomp);
      assert.equal(comp.packetId, 77);
      assert.equal(comp.reasonCode, 0);
      const got = await sub.receive();
      assert.equal(got.qos, 2);
      assert.equal(text(got), 'two');
      await sub.expectNothing(200);
      // After PUBCOMP the id is free: a new message [MQTT-4.3.3-12].
      pub.send(publishPacket(`q2v${version}`, 'three', { qos: 2, packetId: 77 }));
      assert.equal((await pub.expect(PacketType.Pubrec)).packetId, 77);
      pub.send(pubResponse(PacketType.Pubrel, 77));
      await pub.expect(PacketType.Pubcomp);
      assert.equal(text(await sub.receive()), 'three');
      sub.disconnect();
      pub.disconnect();
    });

    it(`v${version}: QoS 2 to a subscriber: PUBLISH, PUBREC answered by PUBREL with the same id, no PUBLISH resent after it [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-3] [MQTT-4.3.3-4] [MQTT-4.3.3-5] [MQTT-4.3.3-6]`, async () => {
      const { sub, pub } = await pair(`q2sv${version}`, `q2sv${version}`, 2, version);
      await pub.publish(`q2sv${version}`, 'x', { qos: 2 });
      const got = await sub.expect(PacketType.Publish);
      assert.equal(got.qos, 2);
      assert.equal(got.dup, false);
      assert.ok(got.packetId! > 0);
      sub.send(pubResponse(PacketType.Pubrec, got.packetId!));
      const rel = await sub.expect(PacketType.Pubrel);
      assert.equal(rel.packetId, got.packetId);
      // Unacknowledged PUBREL: still no PUBLISH again.
      await sub.expectNothing(200);
      sub.send(pubResponse(PacketType.Pubcomp, got.packetId!));
      const session = h.server.broker.core.sessions.get(`q2sv${version}-sub`)!;
      await sleep(50);
      assert.equal(session.inflight.size, 0, 'the flow is complete');
      sub.disconnect();
      pub.disconnect();
    });
  }

  it('packet ids of unacknowledged QoS 1/2 messages to one client are distinct and non-zero [MQTT-2.2.1-4] [MQTT-2.3.1-4] [MQTT-4.3.2-1] [MQTT-4.3.3-1]', async () => {
    const { sub, pub } = await pair('ids', 'ids/#', 2);
    for (let i = 0; i < 6; i++)
      await pub.publish(`ids/${i}`, `${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sub.expect(PacketType.Publish)).packetId!);
    assert.ok(ids.every((id) => id > 0));
    assert.equal(new Set(ids).size, 6);
    sub.disconnect();
    pub.disconnect();
  });

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.8.4-8]' : '[MQTT-3.8.4-6]';
    it(`v${version}: the delivered QoS is the lower of the published and the granted QoS ${rules}`, async () => {
      const subs: Record<number, RawClient> = {};
      for (const granted of [0, 1, 2] as const) {
        subs[granted] = await h.connected({ version, clientId: `down-${version}-${granted}` });
        await subs[granted].subscribe([{ topicFilter: `down${version}`, qos: granted }]);
      }
      const pub = await h.connected({ version, clientId: `down-pub-${version}` });
      for (const sent of [0, 1, 2] as const) {
        await pub.publish(`down${version}`, `q${sent}`, { qos: sent });
        for (const granted of [0, 1, 2] as const) {
          const got = await subs[granted]!.receive();
          assert.equal(got.qos, Math.min(sent, granted), `sent ${sent}, granted ${granted}`);
        }
      }
      pub.disconnect();
      for (const s of Object.values(subs)) s.disconnect();
    });
  }

  it('a DUP from the publisher is not passed on: outgoing DUP is the server’s own [MQTT-3.3.1-3]', async () => {
    const { sub, pub } = await pair('dup', 'dup', 1);
    pub.send(publishPacket('dup', 'd', { qos: 1, dup: true, packetId: 9 }));
    await pub.expect(PacketType.Puback);
    const got = await sub.receive();
    assert.equal(got.dup, false);
    sub.disconnect();
    pub.disconnect();
  });

  it('every matching subscriber gets an accepted message, in order per publisher [MQTT-4.5.0-1] [MQTT-4.6.0-5] [MQTT-4.6.0-6]', async () => {
    const subs = [];
    for (const filter of ['ord/x', 'ord/+', 'ord/#']) {
      const s = await h.connected({ clientId: `ord-${filter}` });
      await s.subscribe([{ topicFilter: filter, qos: 1 }]);
      subs.push(s);
    }
    const pub = await h.connected({ clientId: 'ord-pub' });
    for (let i = 0; i < 20; i++) await pub.publish('ord/x', `${i}`, { qos: 1 });
    for (const s of subs) {
      const got: string[] = [];
      for (let i = 0; i < 20; i++) got.push(text(await s.receive()));
      assert.deepEqual(
        got,
        Array.from({ length: 20 }, (_, i) => `${i}`),
      );
    }
    pub.disconnect();
    for (const s of subs) s.disconnect();
  });

  it('v5: PUBACK and PUBREC say 0x10 No matching subscribers when nobody listens', async () => {
    const pub = await h.connected({ clientId: 'lonely' });
    assert.equal(
      await pub.publish('nobody/here', 'x', { qos: 1 }),
      ReasonCode.NoMatchingSubscribers,
    );
    assert.equal(
      await pub.publish('nobody/here', 'x', { qos: 2 }),
      ReasonCode.NoMatchingSubscribers,
    );
    const sub = await h.connected({ clientId: 'lonely-sub' });
    await sub.subscribe(['nobody/here']);
    assert.equal(await pub.publish('nobody/here', 'x', { qos: 1 }), ReasonCode.Success);
    pub.disconnect();
    sub.disconnect();
  });

  it('unauthorized PUBLISH: 3.1.1 acknowledges and drops, 5.0 answers 0x87 [MQTT-3.3.5-2] [MQTT-4.3.3-9]', async () => {
    const watcher = await h.connected({ clientId: 'forbid-watch' });
    await watcher.subscribe(['forbidden/#']);
    const old = await h.connected({ version: 4, clientId: 'forbid-4' });
    assert.equal(await old.publish('forbidden/a', 'x', { qos: 1 }), 0);
    const v5 = await h.connected({ clientId: 'forbid-5' });
    assert.equal(await v5.publish('forbidden/a', 'x', { qos: 1 }), ReasonCode.NotAuthorized);
    assert.equal(await v5.publish('forbidden/a', 'x', { qos: 2 }), ReasonCode.NotAuthorized);
    // A refused QoS 2 is over at PUBREC 0x87: its id reused is a new message [MQTT-4.3.3-9].
    await watcher.subscribe(['allowed/#']);
    v5.send(publishPacket('forbidden/b', 'no', { qos: 2, packetId: 500 }));
    assert.equal((await v5.expect(PacketType.Pubrec)).reasonCode, ReasonCode.NotAuthorized);
    v5.send(publishPacket('allowed/b', 'yes', { qos: 2, packetId: 500 }));
    const rec = await v5.expect(PacketType.Pubrec);
    assert.equal(rec.packetId, 500);
    assert.equal(rec.reasonCode, ReasonCode.Success);
    const got = await watcher.expect(PacketType.Publish);
    assert.equal(got.topic, 'allowed/b');
    await watcher.expectNothing(200);
    old.disconnect();
    v5.disconnect();
    watcher.disconnect();
  });

  it('v5: Payload Format Indicator, Content Type, Response Topic, Correlation Data and User Properties are passed on unchanged, in order [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] [MQTT-1.5.7-1]', async () => {
    const { sub, pub } = await pair('props', 'props/#', 1);
    const properties = {
      payloadFormatIndicator: 1 as const,
      contentType: 'application/json; charset=utf-8',
      responseTopic: 'props/reply/ü',
      correlationData: Buffer.from([0, 1, 2, 255]),
      userProperties: [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
        ['ключ', 'значение'],
      ] as [string, string][],
    };
    await pub.publish('props/1', '{"a":1}', { qos: 1, properties });
    const got = await sub.receive();
    assert.equal(got.properties.payloadFormatIndicator, 1);
    assert.equal(got.properties.contentType, properties.contentType);
    assert.equal(got.properties.responseTopic, properties.responseTopic);
    assert.deepEqual(Buffer.from(got.properties.correlationData!), properties.correlationData);
    assert.deepEqual(got.properties.userProperties, properties.userProperties);
    // Payload Format Indicator 0 is passed on as well.
    await pub.publish('props/2', 'bin', { qos: 0, properties: { payloadFormatIndicator: 0 } });
    assert.equal((await sub.receive()).properties.payloadFormatIndicator, 0);
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: Message Expiry Interval is forwarded minus the time the message waited [MQTT-3.3.2-6]', async () => {
    const sub = await h.connected({
      clientId: 'exp-sub',
      clean: true,
      properties: { sessionExpiryInterval: 60 },
    });
    await sub.subscribe([{ topicFilter: 'exp/#', qos: 1 }]);
    const pub = await h.connected({ clientId: 'exp-pub' });
    // Online: forwarded with (about) the full interval.
    await pub.publish('exp/live', 'x', { qos: 1, properties: { messageExpiryInterval: 30 } });
    const live = await sub.receive();
    assert.ok(live.properties.messageExpiryInterval! <= 30);
    assert.ok(live.properties.messageExpiryInterval! >= 29);
    // Offline for over 2 s: the forwarded interval has shrunk.
    sub.disconnect();
    await sub.expectClose();
    await pub.publish('exp/queued', 'y', { qos: 1, properties: { messageExpiryInterval: 30 } });
    await sleep(2_100);
    const back = await h.connected({
      clientId: 'exp-sub',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const queued = await back.receive();
    assert.equal(text(queued), 'y');
    assert.ok(
      queued.properties.messageExpiryInterval! <= 28,
      `interval ${queued.properties.messageExpiryInterval} not reduced`,
    );
    back.disconnect(0, { sessionExpiryInterval: 0 });
    pub.disconnect();
  });

  it('v5: a message that expired while queued is not delivered [MQTT-3.3.2-5]', async () => {
    const props = { sessionExpiryInterval: 60 };
    const sub = await h.connected({ clientId: 'dead-sub', properties: props });
    await sub.subscribe([{ topicFilter: 'dead/#', qos: 1 }]);
    sub.disconnect();
    await sub.expectClose();
    const pub = await h.connected({ clientId: 'dead-pub' });
    await pub.publish('dead/1', 'expires', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publish('dead/2', 'stays', { qos: 1, properties: { messageExpiryInterval: 60 } });
    await pub.publish('dead/3', 'forever', { qos: 1 });
    await sleep(1_200);
    const back = await h.connected({ clientId: 'dead-sub', clean: false, properties: props });
    assert.equal(text(await back.receive()), 'stays');
    assert.equal(text(await back.receive()), 'forever');
    await back.expectNothing(200);
    back.disconnect(0, { sessionExpiryInterval: 0 });
    pub.disconnect();
  });

  it('v5: a QoS 2 message sent before it expired completes its handshake after [MQTT-4.3.3-7] [MQTT-4.3.3-13]', async () => {
    const { sub, pub } = await pair('exp2', 'exp2', 2);
    await pub.publish('exp2', 'brief', { qos: 2, properties: { messageExpiryInterval: 1 } });
    const got = await sub.expect(PacketType.Publish);
    await sleep(1_200);
    sub.send(pubResponse(PacketType.Pubrec, got.packetId!));
    assert.equal((await sub.expect(PacketType.Pubrel)).packetId, got.packetId);
    sub.send(pubResponse(PacketType.Pubcomp, got.packetId!));
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: inbound Topic Alias: topic and alias set the mapping, later PUBLISHes use the alias alone [MQTT-3.3.2-12]', async () => {
    const { sub, pub } = await pair('alias-in', 'alias/#', 0);
    pub.send(publishPacket('alias/long/topic', 'first', { properties: { topicAlias: 4 } }));
    pub.send(publishPacket('', 'second', { properties: { topicAlias: 4 } }));
    // Re-mapping an alias to another topic.
    pub.send(publishPacket('alias/other', 'third', { properties: { topicAlias: 4 } }));
    pub.send(publishPacket('', 'fourth', { properties: { topicAlias: 4 } }));
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await sub.expect(PacketType.Publish));
    assert.deepEqual(
      got.map((p) => [p.topic, text(p), p.properties.topicAlias]),
      [
        ['alias/long/topic', 'first', undefined],
        ['alias/long/topic', 'second', undefined],
        ['alias/other', 'third', undefined],
        ['alias/other', 'fourth', undefined],
      ],
    );
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: an inbound Topic Alias above the Topic Alias Maximum is refused with DISCONNECT 0x94 [MQTT-3.3.2-12] [MQTT-4.13.1-1]', async () => {
    const pub = await h.connected({ clientId: 'bad-alias-5' });
    pub.send(publishPacket('alias/x', 'x', { properties: { topicAlias: 5 } }));
    const packets = await pub.expectClose();
    assert.equal(packets.length, 1);
    assert.equal(
      packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode,
      ReasonCode.TopicAliasInvalid,
    );
  });

  it('v5: an inbound Topic Alias 0 is a Protocol Error: DISCONNECT 0x82 (or 0x94), then close [MQTT-3.3.2-8] [MQTT-4.13.1-1]', async () => {
    const pub = await h.connected({ clientId: 'bad-alias-0' });
    pub.send(publishPacket('alias/x', 'x', { properties: { topicAlias: 0 } }));
    const packets = await pub.expectClose();
    assert.equal(packets.length, 1);
    const code = packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode;
    assert.ok(
      code === ReasonCode.ProtocolError || code === ReasonCode.TopicAliasInvalid,
      `${code}`,
    );
  });

  it('v5: Topic Alias mappings do not carry over to a new connection [MQTT-3.3.2-7]', async () => {
    const props = { sessionExpiryInterval: 60 };
    const a = await h.connected({ clientId: 'alias-carry', properties: props });
    a.send(publishPacket('alias/carry', 'x', { properties: { topicAlias: 1 } }));
    a.send({ type: PacketType.Pingreq });
    await a.expect(PacketType.Pingresp);
    a.disconnect();
    await a.expectClose();
    const b = await h.connected({ clientId: 'alias-carry', clean: false, properties: props });
    b.send(publishPacket('', 'y', { properties: { topicAlias: 1 } }));
    const packets = await b.expectClose();
    assert.equal(packets[0]?.type, PacketType.Disconnect);
    assert.ok(packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode >= 0x80);
  });

  it('v5: outbound Topic Aliases stay within the client’s Topic Alias Maximum, never 0 [MQTT-3.1.2-26] [MQTT-3.3.2-11] [MQTT-3.3.2-8]', async () => {
    const sub = await h.connected({ clientId: 'alias-out', properties: { topicAliasMaximum: 2 } });
    await sub.subscribe(['aout/#']);
    const pub = await h.connected({ clientId: 'alias-out-pub' });
    const topics = ['aout/a', 'aout/b', 'aout/c', 'aout/a', 'aout/b', 'aout/c'];
    for (const t of topics) pub.send(publishPacket(t, t));
    const known = new Map<number, string>();
    for (const t of topics) {
      const got = await sub.expect(PacketType.Publish);
      const alias = got.properties.topicAlias;
      if (alias !== undefined) {
        assert.ok(alias >= 1 && alias <= 2, `alias ${alias}`);
        if (got.topic !== '') known.set(alias, got.topic);
      }
      const topic = got.topic === '' ? known.get(alias!) : got.topic;
      assert.equal(topic, t);
      assert.equal(text(got), t);
    }
    assert.ok(known.size > 0, 'aliases were used');
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: without a client Topic Alias Maximum the server sends no Topic Alias [MQTT-3.1.2-27]', async () => {
    const { sub, pub } = await pair('no-alias', 'noalias/#', 0);
    for (let i = 0; i < 3; i++) pub.send(publishPacket('noalias/t', `${i}`));
    for (let i = 0; i < 3; i++) {
      const got = await sub.expect(PacketType.Publish);
      assert.equal(got.topic, 'noalias/t');
      assert.equal(got.properties.topicAlias, undefined);
    }
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: a message above the client’s Maximum Packet Size is not sent, and counts as delivered [MQTT-3.1.2-24] [MQTT-3.1.2-25]', async () => {
    const sub = await h.connected({
      clientId: 'small-sub',
      properties: { maximumPacketSize: 64, receiveMaximum: 1 },
    });
    await sub.subscribe([{ topicFilter: 'mps', qos: 1 }]);
    const pub = await h.connected({ clientId: 'small-pub' });
    await pub.publish('mps', 'x'.repeat(100), { qos: 1 });
    await pub.publish('mps', 'small', { qos: 1 });
    // With Receive Maximum 1, 'small' only arrives if the dropped message left no slot taken.
    const got = await sub.expect(PacketType.Publish);
    assert.equal(text(got), 'small');
    assert.ok(Buffer.concat(sub.received).length < 64 * 3);
    sub.send(pubResponse(PacketType.Puback, got.packetId!));
    await sub.expectNothing(200);
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: no more unacknowledged QoS 1/2 PUBLISHes than the client’s Receive Maximum; other packets still flow [MQTT-3.3.4-9] [MQTT-3.3.4-10] [MQTT-4.9.0-1] [MQTT-4.9.0-2] [MQTT-4.9.0-3]', async () => {
    const sub = await h.connected({ clientId: 'rm-sub', properties: { receiveMaximum: 2 } });
    await sub.subscribe([{ topicFilter: 'rm/#', qos: 2 }]);
    const pub = await h.connected({ clientId: 'rm-pub' });
    for (let i = 0; i < 6; i++)
      await pub.publish(`rm/${i}`, `${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
    const first = [await sub.expect(PacketType.Publish), await sub.expect(PacketType.Publish)];
    assert.deepEqual(first.map(text), ['0', '1']);
    await sub.expectNothing(200);
    // At zero quota, PINGREQ, SUBSCRIBE and QoS 0 are still answered and delivered.
    sub.send({ type: PacketType.Pingreq });
    await sub.expect(PacketType.Pingresp);
    assert.deepEqual(await sub.subscribe([{ topicFilter: 'rm0', qos: 0 }]), [0]);
    pub.send(publishPacket('rm0', 'qos0'));
    assert.equal(text(await sub.expect(PacketType.Publish)), 'qos0');
    // Completing one flow frees exactly one slot.
    sub.send(pubResponse(PacketType.Puback, first[0]!.packetId!));
    const third = await sub.expect(PacketType.Publish);
    assert.equal(text(third), '2');
    await sub.expectNothing(200);
    // A QoS 2 slot is freed by PUBCOMP, not by PUBREC.
    sub.send(pubResponse(PacketType.Pubrec, first[1]!.packetId!));
    await sub.expect(PacketType.Pubrel);
    await sub.expectNothing(200);
    sub.send(pubResponse(PacketType.Pubcomp, first[1]!.packetId!));
    assert.equal(text(await sub.expect(PacketType.Publish)), '3');
    sub.disconnect();
    pub.disconnect();
  });

  it('v5: exceeding the server’s Receive Maximum with QoS 2 is refused with DISCONNECT 0x93 [MQTT-3.3.4-7]', async () => {
    const pub = await h.connected({ clientId: 'rm-over' });
    for (let id = 1; id <= 3; id++) {
      pub.send(publishPacket('rmover', 'x', { qos: 2, packetId: id }));
      await pub.expect(PacketType.Pubrec);
    }
    pub.send(publishPacket('rmover', 'x', { qos: 2, packetId: 4 }));
    const packets = await pub.expectClose();
    assert.equal(
      packets[0]?.type === PacketType.Disconnect && packets[0].reasonCode,
      ReasonCode.ReceiveMaximumExceeded,
    );
  });

  it('v5: PUBREL or PUBREC for an unknown packet id is answered with 0x92 Packet Identifier not found [MQTT-3.6.2-1] [MQTT-3.7.2-1] [MQTT-4.3.3-11]', async () => {
    const c = await h.connected({ clientId: 'unknown-ids' });
    c.send(pubResponse(PacketType.Pubrel, 999));
    const comp = await c.expect(PacketType.Pubcomp);
    assert.equal(comp.packetId, 999);
    assert.equal(comp.reasonCode, ReasonCode.PacketIdentifierNotFound);
    c.send(pubResponse(PacketType.Pubrec, 998));
    const rel = await c.expect(PacketType.Pubrel);
    assert.equal(rel.packetId, 998);
    assert.equal(rel.reasonCode, ReasonCode.PacketIdentifierNotFound);
    c.disconnect();
  });

  it('v5: acknowledgements use defined reason codes and stay within a small client Maximum Packet Size [MQTT-3.4.2-1] [MQTT-3.4.2-2] [MQTT-3.4.2-3] [MQTT-3.5.2-1] [MQTT-3.5.2-2] [MQTT-3.5.2-3] [MQTT-3.6.2-2] [MQTT-3.6.2-3] [MQTT-3.7.2-2] [MQTT-3.7.2-3] [MQTT-3.9.2-1] [MQTT-3.9.2-2] [MQTT-3.11.2-1] [MQTT-3.11.2-2]', async () => {
    const limit = 16;
    const c = await h.connected({ clientId: 'tiny', properties: { maximumPacketSize: limit } });
    const before = Buffer.concat(c.received).length;
    // SUBACK with a failure, UNSUBACK for nothing, PUBACK 0x10 and 0x87, PUBREC, PUBREL, PUBCOMP.
    assert.deepEqual(await c.subscribe(['a/#/b', { topicFilter: 'tiny/x', qos: 2 }]), [
      ReasonCode.TopicFilterInvalid,
      2,
    ]);
    c.send({ type: PacketType.Unsubscribe, packetId: 3, topicFilters: ['none'], properties: {} });
    assert.deepEqual((await c.expect(PacketType.Unsuback)).reasonCodes, [
      ReasonCode.NoSubscriptionExisted,
    ]);
    assert.equal(await c.publish('tiny/none', 'x', { qos: 1 }), ReasonCode.NoMatchingSubscribers);
    assert.equal(await c.publish('forbidden/x', 'x', { qos: 1 }), ReasonCode.NotAuthorized);
    c.send(publishPacket('tiny/y', 'x', { qos: 2, packetId: 40 }));
    assert.equal((await c.expect(PacketType.Pubrec)).reasonCode, ReasonCode.NoMatchingSubscribers);
    c.send(pubResponse(PacketType.Pubrel, 40));
    assert.equal((await c.expect(PacketType.Pubcomp)).reasonCode, ReasonCode.Success);
    const pub = await h.connected({ clientId: 'tiny-pub' });
    await pub.publish('tiny/x', 'q2', { qos: 2 });
    await c.receive();
    // Walk the frames received since CONNACK: none exceeds the limit.
    const raw = Buffer.concat(c.received).subarray(before);
    let at = 0;
    let frames = 0;
    while (at < raw.length) {
      const size = 2 + raw[at + 1]!;
      assert.ok(size <= limit, `packet type ${raw[at]! >> 4} of ${size} bytes`);
      at += size;
      frames++;
    }
    assert.equal(frames, 8, raw.toString('hex'));
    c.disconnect();
    pub.disconnect();
  });

  it('a Topic Name of 65,535 bytes, the longest there is, is accepted and delivered [MQTT-4.7.3-3]', async () => {
    const topic = `long/${'t'.repeat(65_535 - 5)}`;
    const sub = await h.connected({ clientId: 'long-sub' });
    await sub.subscribe(['long/+']);
    const pub = await h.connected({ version: 4, clientId: 'long-pub' });
    assert.equal(await pub.publish(topic, 'x', { qos: 1 }), 0);
    const got = await sub.expect(PacketType.Publish);
    assert.equal(got.topic.length, 65_535);
    assert.equal(got.topic, topic);
    sub.disconnect();
    pub.disconnect();
  });

  it('a client may not publish into $SYS', async () => {
    const watcher = await h.connected({ clientId: 'sys-watch' });
    await watcher.subscribe(['$SYS/fake']);
    const pub = await h.connected({ clientId: 'sys-pub' });
    assert.equal(await pub.publish('$SYS/fake', 'x', { qos: 1 }), ReasonCode.NotAuthorized);
    await watcher.expectNothing(200);
    pub.disconnect();
    watcher.disconnect();
  });
});
