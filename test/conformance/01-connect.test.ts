// CONNECT and CONNACK against the real server over TCP: reason codes per version, client
// identifiers, protocol errors around CONNECT, connect and keep-alive timeouts, takeover.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode, encode } from '../../src/protocol/index.js';
import { Harness, RawClient, bytes, connectPacket, sleep } from './raw-client.js';

/** A successful 3.1.1 CONNACK, byte for byte: flags 0, return code 0. */
const CONNACK_311_OK = '20 02 00 00';

describe('01 connect', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      broker: { connectTimeout: 1, maxClientIdLength: 64 },
      authenticate: (req) => req.username !== 'intruder',
    });
  });
  after(() => h.close());

  for (const version of [3, 4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.1.4-5] [MQTT-3.2.2-2] [MQTT-3.2.0-1]'
        : '[MQTT-3.1.4-4] [MQTT-3.2.2-1] [MQTT-3.2.0-1]';
    it(`v${version}: an accepted CONNECT gets CONNACK 0 with Session Present 0 as the first packet ${rules}`, async () => {
      const client = await h.open(version);
      client.send(connectPacket({ version, clientId: `ok-v${version}` }));
      const connack = await client.expect(PacketType.Connack);
      assert.equal(connack.reasonCode, ReasonCode.Success);
      assert.equal(connack.sessionPresent, false);
      if (version !== 5) assert.deepEqual(client.received[0], bytes(CONNACK_311_OK));
      client.disconnect();
    });
  }

  it('v5: the CONNACK acknowledge flags have bits 7-1 zero [MQTT-3.2.2-1]', async () => {
    const client = await h.open(5);
    client.send(connectPacket({ clientId: 'flags', clean: false }));
    await client.expect(PacketType.Connack);
    const raw = Buffer.concat(client.received);
    assert.equal(raw[0], 0x20);
    assert.equal(raw[2]! & 0xfe, 0);
    client.disconnect();
  });

  it('accepts 1 to 23 byte alphanumeric client identifiers [MQTT-3.1.3-5]', async () => {
    for (const clientId of ['a', 'Z9', '0123456789abcdefABCDEFG']) {
      for (const version of [4, 5] as const) {
        const { client, connack } = await h.connect({ version, clientId });
        assert.equal(connack.reasonCode, 0, clientId);
        client.disconnect();
      }
    }
  });

  it('v5: an empty client id gets a unique Assigned Client Identifier and works [MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16]', async () => {
    const { client: a, connack: ca } = await h.connect({ clientId: '' });
    const { client: b, connack: cb } = await h.connect({ clientId: '' });
    const idA = ca.properties.assignedClientIdentifier;
    const idB = cb.properties.assignedClientIdentifier;
    assert.ok(idA && idA.length > 0);
    assert.ok(idB && idB.length > 0);
    assert.notEqual(idA, idB);
    assert.ok(h.server.broker.core.clients.has(idA), 'the server proceeds with the assigned id');
    // The session really works under the assigned id.
    assert.deepEqual(await a.subscribe([{ topicFilter: 'assigned/t', qos: 1 }]), [1]);
    await b.publish('assigned/t', 'hi', { qos: 1 });
    const got = await a.receive();
    assert.equal(got.topic, 'assigned/t');
    a.disconnect();
    b.disconnect();
  });

  it('v5: a client id given by the client is not echoed as assigned [MQTT-3.2.2-16]', async () => {
    const { client, connack } = await h.connect({ clientId: 'mine' });
    assert.equal(connack.properties.assignedClientIdentifier, undefined);
    client.disconnect();
  });

  it('v3.1.1: an empty client id with Clean Session 1 is accepted with a server-made id [MQTT-3.1.3-6]', async () => {
    const before = new Set(h.server.broker.core.clients.keys());
    const { client, connack } = await h.connect({ version: 4, clientId: '', clean: true });
    assert.equal(connack.reasonCode, 0);
    const added = [...h.server.broker.core.clients.keys()].filter((id) => !before.has(id));
    assert.equal(added.length, 1);
    assert.ok(added[0]!.length > 0);
    client.disconnect();
  });

  it('v3.1.1: an empty client id with Clean Session 0 gets CONNACK 0x02 with Session Present 0, then close [MQTT-3.1.3-8] [MQTT-3.1.3-9] [MQTT-3.2.2-4] [MQTT-3.2.2-5]', async () => {
    const client = await h.open(4);
    client.send(connectPacket({ version: 4, clientId: '', clean: false }));
    const packets = await client.expectClose();
    assert.equal(packets.length, 1);
    assert.deepEqual(Buffer.concat(client.received), bytes('20 02 00 02'));
  });

  it('v5: a rejected client id gets CONNACK 0x85 with Session Present 0, then close [MQTT-3.1.3-8] [MQTT-3.2.2-6] [MQTT-3.2.2-7] [MQTT-3.2.2-8] [MQTT-3.14.0-1]', async () => {
    const client = await h.open(5);
    client.send(connectPacket({ clientId: 'x'.repeat(65), clean: false }));
    const packets = await client.expectClose();
    assert.equal(packets.length, 1, 'only the CONNACK, no DISCONNECT');
    const connack = packets[0]!;
    assert.equal(connack.type, PacketType.Connack);
    assert.equal(connack.reasonCode, ReasonCode.ClientIdentifierNotValid);
    assert.equal(connack.sessionPresent, false);
  });

  it('a second CONNECT is a protocol error: v5 DISCONNECT 0x82 then close, one CONNACK only [MQTT-3.1.0-2] [MQTT-3.2.0-2] [MQTT-4.13.1-1]', async () => {
    const client = await h.connected({ clientId: 'twice5' });
    client.send(connectPacket({ clientId: 'twice5' }));
    const packets = await client.expectClose();
    assert.deepEqual(
      packets.map((p) => p.type),
      [PacketType.Disconnect],
    );
    assert.equal(packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode, 0x82);
  });

  it('v3.1.1: a second CONNECT closes the connection without a second CONNACK [MQTT-3.1.0-2] [MQTT-4.8.0-1]', async () => {
    const client = await h.connected({ version: 4, clientId: 'twice4' });
    client.send(connectPacket({ version: 4, clientId: 'twice4' }));
    assert.deepEqual(await client.expectClose(), []);
  });

  for (const [name, wire] of [
    ['PINGREQ', 'c0 00'],
    ['PUBLISH', '30 05 00 01 61 68 69'],
    ['SUBSCRIBE', '82 06 00 01 00 01 23 00'],
  ] as const) {
    it(`a first packet other than CONNECT (${name}) closes the connection with nothing sent [MQTT-3.1.0-1] [MQTT-4.8.0-1] [MQTT-4.13.1-1] [MQTT-3.2.0-1]`, async () => {
      const client = await h.open(4);
      client.send(bytes(wire));
      assert.deepEqual(await client.expectClose(), []);
      assert.equal(Buffer.concat(client.received).length, 0);
    });
  }

  for (const level of [0, 2, 6, 0x85]) {
    it(`unsupported protocol level ${level}: CONNACK 0x01 (3.1.1 form), then close [MQTT-3.1.2-2]`, async () => {
      const client = await h.open(4);
      // CONNECT, "MQTT", level, flags 02 (clean), keep alive 0, client id "c".
      client.send(
        bytes('10 0d 00 04 4d 51 54 54', level.toString(16).padStart(2, '0'), '02 00 00 00 01 63'),
      );
      await client.expectClose();
      assert.deepEqual(Buffer.concat(client.received), bytes('20 02 00 01'));
    });
  }

  it('a protocol name that does not fit the level is not processed as MQTT: no CONNACK 0, close [MQTT-3.1.2-1]', async () => {
    const client = await h.open(4);
    // "MQTX" with level 4.
    client.send(bytes('10 0d 00 04 4d 51 54 58 04 02 00 00 00 01 63'));
    await client.expectClose();
    const raw = Buffer.concat(client.received);
    assert.ok(raw.length === 0 || raw[3] !== 0, 'never accepted');
    // "MQIsdp" with level 4 is just as wrong.
    const other = await h.open(4);
    other.send(bytes('10 0f 00 06 4d 51 49 73 64 70 04 02 00 00 00 01 63'));
    await other.expectClose();
    const raw2 = Buffer.concat(other.received);
    assert.ok(raw2.length === 0 || raw2[3] !== 0, 'never accepted');
  });

  for (const version of [4, 5] as const) {
    it(`v${version}: the CONNECT reserved flag must be 0, else close without accepting [MQTT-3.1.2-3] [MQTT-3.1.4-1] [MQTT-3.14.0-1]`, async () => {
      const client = await h.open(version);
      const body =
        version === 5
          ? '00 04 4d 51 54 54 05 03 00 00 00 00 01 63' // flags 03: reserved bit set; no properties
          : '00 04 4d 51 54 54 04 03 00 00 00 01 63';
      const len = body.split(' ').length.toString(16).padStart(2, '0');
      client.send(bytes('10', len, body));
      const packets = await client.expectClose();
      assert.ok(packets.every((p) => p.type === PacketType.Connack && p.reasonCode >= 0x80));
      assert.ok(packets.every((p) => p.type !== PacketType.Disconnect));
    });
  }

  it('connect timeout: a socket that never sends CONNECT is closed', async () => {
    const client = await h.open(4);
    const started = Date.now();
    assert.deepEqual(await client.expectClose(4_000), []);
    assert.ok(Date.now() - started >= 900, 'not before the configured second');
  });

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.1.2-22] [MQTT-3.2.2-22]' : '[MQTT-3.1.2-24]';
    it(`v${version}: the server closes after 1.5 x Keep Alive without packets ${rules}`, async () => {
      const { client, connack } = await h.connect({
        version,
        clientId: `ka${version}`,
        keepAlive: 1,
      });
      assert.equal(connack.properties.serverKeepAlive, undefined);
      const started = Date.now();
      const packets = await client.expectClose(4_000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1_400, `closed after ${elapsed} ms, before 1.5 x Keep Alive`);
      if (version === 5) {
        assert.equal(packets.length, 1);
        assert.equal(
          packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode,
          ReasonCode.KeepAliveTimeout,
        );
      } else assert.deepEqual(packets, []);
    });
  }

  it('PINGREQ is answered with PINGRESP and keeps the connection alive [MQTT-3.12.4-1]', async () => {
    const client = await h.connected({ version: 4, clientId: 'pinger', keepAlive: 1 });
    for (let i = 0; i < 5; i++) {
      await sleep(500);
      client.send({ type: PacketType.Pingreq });
      await client.expect(PacketType.Pingresp);
    }
    assert.equal(client.closed, false, 'alive after 2.5 s, beyond 1.5 x Keep Alive');
    client.disconnect();
  });

  it('v5: a Keep Alive above the maximum gets Server Keep Alive, which the server then applies [MQTT-3.1.2-21]', async () => {
    const strict = await Harness.start({ broker: { maxKeepAlive: 1 } });
    try {
      const { client, connack } = await strict.connect({ clientId: 'ska', keepAlive: 60 });
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties.serverKeepAlive, 1);
      const started = Date.now();
      const packets = await client.expectClose(4_000);
      assert.ok(Date.now() - started >= 1_400);
      assert.equal(
        packets[0]?.type === PacketType.Disconnect && packets[0].reasonCode,
        ReasonCode.KeepAliveTimeout,
      );
      // Keep Alive 0 (none) is above a finite maximum too.
      const { client: none, connack: noneConnack } = await strict.connect({ clientId: 'ska0' });
      assert.equal(noneConnack.properties.serverKeepAlive, 1);
      none.disconnect();
      // 3.1.1 cannot be told another Keep Alive: refused (as Mosquitto does).
      const old = await strict.open(4);
      old.send(connectPacket({ version: 4, clientId: 'ska4', keepAlive: 60 }));
      const refused = await old.expectClose();
      assert.equal(refused.length, 1);
      assert.ok(refused[0]!.type === PacketType.Connack && refused[0]!.reasonCode >= 0x80);
    } finally {
      await strict.close();
    }
  });

  it('v5: takeover: the old connection gets DISCONNECT 0x8E and is closed [MQTT-3.1.4-3]', async () => {
    const first = await h.connected({
      clientId: 'taken',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const { client: second, connack } = await h.connect({
      clientId: 'taken',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.sessionPresent, true, 'the session moved to the new connection');
    const packets = await first.expectClose();
    assert.equal(packets.length, 1);
    assert.equal(
      packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode,
      ReasonCode.SessionTakenOver,
    );
    assert.equal(h.server.broker.core.clients.get('taken')?.stream !== undefined, true);
    second.send({ type: PacketType.Pingreq });
    await second.expect(PacketType.Pingresp);
    second.disconnect(0, { sessionExpiryInterval: 0 });
  });

  it('v3.1.1: takeover closes the existing connection [MQTT-3.1.4-2]', async () => {
    const first = await h.connected({ version: 4, clientId: 'taken4' });
    const second = await h.connected({ version: 4, clientId: 'taken4' });
    assert.deepEqual(await first.expectClose(), []);
    second.send({ type: PacketType.Pingreq });
    await second.expect(PacketType.Pingresp);
    second.disconnect();
  });

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.2.2-2] [MQTT-3.2.2-3] [MQTT-3.1.2-5] [MQTT-3.1.2-6] [MQTT-3.1.4-4]'
        : '[MQTT-3.2.2-1] [MQTT-3.2.2-2] [MQTT-3.2.2-3] [MQTT-3.1.2-6] [MQTT-3.1.4-3]';
    it(`v${version}: Session Present tells whether a stored session was resumed ${rules}`, async () => {
      const clientId = `present${version}`;
      const properties = version === 5 ? { sessionExpiryInterval: 60 } : {};
      // No stored session: Session Present 0 even with Clean Start 0.
      const { client: a, connack: c1 } = await h.connect({
        version,
        clientId,
        clean: false,
        properties,
      });
      assert.equal(c1.sessionPresent, false);
      a.disconnect();
      await a.expectClose();
      const { client: b, connack: c2 } = await h.connect({
        version,
        clientId,
        clean: false,
        properties,
      });
      assert.equal(c2.sessionPresent, true);
      b.disconnect();
      await b.expectClose();
      // Clean Start 1: a fresh session, Session Present 0.
      const { client: c, connack: c3 } = await h.connect({ version, clientId, clean: true });
      assert.equal(c3.sessionPresent, false);
      c.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.1.4-2] [MQTT-3.1.4-6] [MQTT-3.2.2-6] [MQTT-3.2.2-7]'
        : '[MQTT-3.1.4-5] [MQTT-3.2.2-4] [MQTT-3.2.2-5]';
    it(`v${version}: failed authentication: CONNACK refusal, close, and later bytes ignored ${rules}`, async () => {
      const watcher = await h.connected({ clientId: `watch-auth${version}` });
      await watcher.subscribe(['auth/#']);
      // A stored session for the id: a refusal still says Session Present 0.
      const properties = version === 5 ? { sessionExpiryInterval: 60 } : {};
      const owner = await h.connected({
        version,
        clientId: `bad${version}`,
        clean: false,
        properties,
      });
      owner.disconnect();
      await owner.expectClose();
      const client = await h.open(version);
      // CONNECT and a PUBLISH in one write: the PUBLISH must never be processed.
      client.send(
        Buffer.concat([
          encode(
            connectPacket({
              version,
              clientId: `bad${version}`,
              clean: false,
              username: 'intruder',
              password: 'x',
              properties,
            }),
            version,
          ),
          bytes('30 08 00 06 61 75 74 68 2f 78'),
        ]),
      );
      const packets = await client.expectClose();
      assert.equal(packets.length, 1);
      const connack = packets[0]!;
      assert.equal(connack.type, PacketType.Connack);
      assert.equal(connack.reasonCode, ReasonCode.BadUserNameOrPassword);
      assert.equal(connack.type === PacketType.Connack && connack.sessionPresent, false);
      await watcher.expectNothing(200);
      watcher.disconnect();
    });
  }

  it('v5: an unknown Authentication Method gets CONNACK 0x8C, then close [MQTT-4.12.0-1]', async () => {
    const client = await h.open(5);
    client.send(
      connectPacket({ clientId: 'auth-m', properties: { authenticationMethod: 'NOPE' } }),
    );
    const packets = await client.expectClose();
    assert.equal(packets.length, 1);
    assert.equal(
      packets[0]!.type === PacketType.Connack && packets[0]!.reasonCode,
      ReasonCode.BadAuthenticationMethod,
    );
  });

  it('v5: without an Authentication Method the server sends no AUTH and no method [MQTT-4.12.0-6] [MQTT-3.1.2-28]', async () => {
    const { client, connack } = await h.connect({
      clientId: 'no-auth-m',
      properties: { requestResponseInformation: 0 },
    });
    assert.equal(connack.properties.authenticationMethod, undefined);
    assert.equal(connack.properties.authenticationData, undefined);
    assert.equal(connack.properties.responseInformation, undefined);
    client.send({ type: PacketType.Pingreq });
    await client.expect(PacketType.Pingresp);
    client.disconnect();
  });

  it('v5: Request Problem Information 0: no Reason String or User Property on SUBACK, UNSUBACK, PUBACK [MQTT-3.1.2-29]', async () => {
    const client = await h.connected({
      clientId: 'no-problems',
      properties: { requestProblemInformation: 0 },
    });
    client.send({
      type: PacketType.Subscribe,
      packetId: 7,
      subscriptions: [
        {
          topicFilter: 'a/#/b',
          qos: 0,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        },
      ],
      properties: {},
    });
    const suback = await client.expect(PacketType.Suback);
    assert.deepEqual(suback.reasonCodes, [ReasonCode.TopicFilterInvalid]);
    assert.deepEqual(suback.properties, {});
    client.send({
      type: PacketType.Unsubscribe,
      packetId: 8,
      topicFilters: ['none'],
      properties: {},
    });
    assert.deepEqual((await client.expect(PacketType.Unsuback)).properties, {});
    client.send({
      type: PacketType.Publish,
      topic: 'nobody/listens',
      payload: Buffer.from('x'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 9,
      properties: {},
    });
    assert.deepEqual((await client.expect(PacketType.Puback)).properties, {});
    client.disconnect();
  });

  describe('Maximum QoS 1 and no retain', () => {
    let limited: Harness;
    before(async () => {
      limited = await Harness.start({ broker: { maximumQoS: 1, retainAvailable: false } });
    });
    after(() => limited.close());

    it('v5: CONNACK advertises Maximum QoS and Retain Available [MQTT-3.2.2-9]', async () => {
      const { client, connack } = await limited.connect({ clientId: 'mq' });
      assert.equal(connack.properties.maximumQoS, 1);
      assert.equal(connack.properties.retainAvailable, false);
      client.disconnect();
    });

    it('v5: SUBSCRIBE asking QoS 2 is still accepted, granted QoS 1 [MQTT-3.2.2-10]', async () => {
      const client = await limited.connected({ clientId: 'mq-sub' });
      assert.deepEqual(
        await client.subscribe([
          { topicFilter: 'q/0', qos: 0 },
          { topicFilter: 'q/1', qos: 1 },
          { topicFilter: 'q/2', qos: 2 },
        ]),
        [0, 1, 1],
      );
      client.disconnect();
    });

    it('v5: a Will QoS above Maximum QoS is refused with CONNACK 0x9B, then close [MQTT-3.2.2-12]', async () => {
      const client = await RawClient.open(limited.port, 5);
      limited.clients.push(client);
      client.send(connectPacket({ clientId: 'mq-will', will: { topic: 'w', qos: 2 } }));
      const packets = await client.expectClose();
      assert.equal(packets.length, 1);
      assert.equal(
        packets[0]!.type === PacketType.Connack && packets[0]!.reasonCode,
        ReasonCode.QoSNotSupported,
      );
    });

    it('v5: a Will Retain without retain support is refused with CONNACK 0x9A, then close [MQTT-3.2.2-13]', async () => {
      const client = await RawClient.open(limited.port, 5);
      limited.clients.push(client);
      client.send(connectPacket({ clientId: 'mq-will-r', will: { topic: 'w', retain: true } }));
      const packets = await client.expectClose();
      assert.equal(packets.length, 1);
      assert.equal(
        packets[0]!.type === PacketType.Connack && packets[0]!.reasonCode,
        ReasonCode.RetainNotSupported,
      );
    });

    it('v5: PUBLISH above Maximum QoS or with RETAIN: DISCONNECT 0x9B / 0x9A [MQTT-3.2.2-11] [MQTT-3.2.2-14]', async () => {
      const a = await limited.connected({ clientId: 'mq-pub' });
      a.send({
        type: PacketType.Publish,
        topic: 't',
        payload: Buffer.from('x'),
        qos: 2,
        retain: false,
        dup: false,
        packetId: 1,
        properties: {},
      });
      let packets = await a.expectClose();
      assert.equal(packets[0]?.type === PacketType.Disconnect && packets[0].reasonCode, 0x9b);
      const b = await limited.connected({ clientId: 'mq-ret' });
      b.send({
        type: PacketType.Publish,
        topic: 't',
        payload: Buffer.from('x'),
        qos: 0,
        retain: true,
        dup: false,
        properties: {},
      });
      packets = await b.expectClose();
      assert.equal(packets[0]?.type === PacketType.Disconnect && packets[0].reasonCode, 0x9a);
    });
  });
});

describe('01 connect: reason strings and the client Maximum Packet Size', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ broker: { maxClientIdLength: 8 } });
  });
  after(() => h.close());

  it('v5: a refusing CONNACK leaves out the Reason String when it would exceed the Maximum Packet Size [MQTT-3.2.2-19] [MQTT-3.2.2-20]', async () => {
    // With room, the refusal explains itself.
    const roomy = await h.open(5);
    roomy.send(connectPacket({ clientId: 'much-too-long' }));
    const [explained] = await roomy.expectClose();
    assert.ok(explained?.type === PacketType.Connack);
    assert.equal(explained.reasonCode, ReasonCode.ClientIdentifierNotValid);
    assert.ok(explained.properties.reasonString, 'a Reason String when it fits');
    const client = await h.open(5);
    client.send(
      connectPacket({ clientId: 'much-too-long', properties: { maximumPacketSize: 16 } }),
    );
    await client.expectClose();
    const raw = Buffer.concat(client.received);
    assert.ok(raw.length <= 16, `CONNACK of ${raw.length} bytes exceeds the client's 16`);
    assert.equal(raw[0], 0x20);
    assert.equal(raw[3], ReasonCode.ClientIdentifierNotValid);
  });

  it('v5: a DISCONNECT leaves out the Reason String when it would exceed the Maximum Packet Size [MQTT-3.14.2-3] [MQTT-3.14.2-4]', async () => {
    const client = await h.connected({ clientId: 'small', properties: { maximumPacketSize: 16 } });
    client.send(connectPacket({ clientId: 'small' }));
    const packets = await client.expectClose();
    assert.equal(packets.length, 1);
    // CONNACK first, then DISCONNECT: walk the frames to measure the DISCONNECT alone.
    const raw = Buffer.concat(client.received);
    const sizes: { type: number; size: number }[] = [];
    let at = 0;
    while (at < raw.length) {
      const len = raw[at + 1]!;
      sizes.push({ type: raw[at]! >> 4, size: 2 + len });
      at += 2 + len;
    }
    const last = sizes.at(-1)!;
    assert.equal(last.type, PacketType.Disconnect);
    assert.ok(last.size <= 16, `DISCONNECT of ${last.size} bytes exceeds the client's 16`);
    assert.equal(packets[0]!.type === PacketType.Disconnect && packets[0]!.reasonCode, 0x82);
  });
});

describe('01 connect: disconnects from the server side', () => {
  it('v5: shutdown sends DISCONNECT 0x8B then closes; 3.1.1 clients are just closed [MQTT-3.14.4-1] [MQTT-3.14.4-2] [MQTT-3.14.0-1]', async () => {
    const h = await Harness.start();
    const v5 = await h.connected({ clientId: 'shut5' });
    const v4 = await h.connected({ version: 4, clientId: 'shut4' });
    const closing = h.server.close();
    const packets = await v5.expectClose();
    assert.deepEqual(
      packets.map((p) => [p.type, p.type === PacketType.Disconnect && p.reasonCode]),
      [[PacketType.Disconnect, ReasonCode.ServerShuttingDown]],
    );
    assert.deepEqual(await v4.expectClose(), []);
    await closing;
  });

  it('v5: an administrative kick sends DISCONNECT 0x98 then closes, and the will goes out [MQTT-3.14.4-1] [MQTT-3.14.4-2]', async () => {
    const h = await Harness.start();
    try {
      const watcher = await h.connected({ clientId: 'kick-watch' });
      await watcher.subscribe(['kick/will']);
      const victim = await h.connected({
        clientId: 'kicked',
        will: { topic: 'kick/will', payload: Buffer.from('kicked out') },
      });
      assert.equal(h.server.broker.kick('kicked'), true);
      const packets = await victim.expectClose();
      assert.deepEqual(
        packets.map((p) => [p.type, p.type === PacketType.Disconnect && p.reasonCode]),
        [[PacketType.Disconnect, ReasonCode.AdministrativeAction]],
      );
      const will = await watcher.expect(PacketType.Publish);
      assert.equal(Buffer.from(will.payload).toString(), 'kicked out');
      assert.equal(h.server.broker.kick('kicked'), false);
    } finally {
      await h.close();
    }
  });
});
