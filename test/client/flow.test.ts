// Client-side protocol rules checked against a scripted broker that shows exactly what the
// client put on the wire: Receive Maximum, Maximum Packet Size, Topic Aliases, keep-alive,
// re-sending with DUP after a reconnect, publishAtOnce().
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type MqttClient, ReasonCode, connect } from '../../src/client/index.js';
import {
  type Packet,
  PacketType,
  type PublishPacket,
  type PubrelPacket,
} from '../../src/protocol/index.js';
import { type FakeBroker, startFakeBroker } from './fake-broker.js';

const isPublish = (p: Packet): p is PublishPacket => p.type === PacketType.Publish;
const publishes = (packets: Packet[]) => packets.filter(isPublish);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const puback = (packetId: number, reasonCode = 0, reasonString?: string): Packet => ({
  type: PacketType.Puback,
  packetId,
  reasonCode,
  properties: reasonString ? { reasonString } : {},
});

let broker: FakeBroker | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  client?.destroy();
  await broker?.close();
  client = undefined;
  broker = undefined;
});

describe('client flow control against a scripted broker', () => {
  it('[MQTT-3.3.4-7] keeps at most Receive Maximum QoS 1 PUBLISHes unacknowledged', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { receiveMaximum: 2 } }) });
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    const results = Array.from({ length: 5 }, (_, i) =>
      client!.publish('rm/t', `${i}`, { qos: 1 }),
    );
    await sleep(100);
    assert.equal(publishes(conn.packets).length, 2);
    // [MQTT-3.3.4-8] SUBSCRIBE is not held back by the exhausted quota.
    const subscribed = client.subscribe('rm/other');
    await conn.waitFor((p) => p.type === PacketType.Subscribe);
    void subscribed.catch(() => {});
    conn.send(puback(publishes(conn.packets)[0]!.packetId!));
    await sleep(100);
    assert.equal(publishes(conn.packets).length, 3);
    for (const p of publishes(conn.packets).slice(1)) conn.send(puback(p.packetId!));
    await sleep(100);
    for (const p of publishes(conn.packets).slice(3)) conn.send(puback(p.packetId!));
    await Promise.all(results);
    // [MQTT-2.2.1-3] packet identifiers of unacknowledged flows are never reused.
    const ids = publishes(conn.packets).map((p) => p.packetId);
    assert.equal(new Set(ids.slice(0, 2)).size, 2);
    assert.deepEqual(
      publishes(conn.packets).map((p) => Buffer.from(p.payload).toString()),
      ['0', '1', '2', '3', '4'],
    );
  });

  it('[MQTT-3.2.2-15] refuses a packet above the server Maximum Packet Size without sending it', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { maximumPacketSize: 64 } }) });
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    await assert.rejects(client.publish('mps/t', Buffer.alloc(100), { qos: 1 }), {
      code: 'PACKET_TOO_LARGE',
      reasonCode: ReasonCode.PacketTooLarge,
    });
    await assert.rejects(client.publish('mps/t', Buffer.alloc(100)), { code: 'PACKET_TOO_LARGE' });
    const small = client.publish('mps/t', 'ok', { qos: 1 });
    const sent = await conn.waitFor(isPublish);
    conn.send(puback(sent.packetId!));
    await small;
    assert.equal(publishes(conn.packets).length, 1);
  });

  it('[MQTT-3.3.2-9] [MQTT-3.2.2-17] uses Topic Aliases within the server maximum', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { topicAliasMaximum: 2 } }) });
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    for (const topic of ['ta/a', 'ta/a', 'ta/b', 'ta/b', 'ta/c', 'ta/c', 'ta/a']) {
      await client.publish(topic, 'x');
    }
    await sleep(100);
    const wire = publishes(conn.packets).map((p) => [p.topic, p.properties.topicAlias]);
    assert.deepEqual(wire, [
      ['ta/a', 1],
      ['', 1],
      ['ta/b', 2],
      ['', 2],
      ['ta/c', 1], // every alias taken: the oldest mapping is replaced
      ['', 1],
      ['ta/a', 2],
    ]);
  });

  it('[MQTT-3.2.2-18] sends no Topic Alias when the server allows none', async () => {
    broker = await startFakeBroker();
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    await client.publish('na/a', 'x');
    await client.publish('na/a', 'x');
    await sleep(50);
    assert.ok(publishes(conn.packets).every((p) => p.topic === 'na/a' && !p.properties.topicAlias));
  });

  it('[MQTT-3.2.2-11] [MQTT-3.2.2-14] honours Maximum QoS and Retain Available', async () => {
    broker = await startFakeBroker({
      connack: () => ({ properties: { maximumQoS: 1, retainAvailable: false } }),
    });
    client = await connect(broker.url, { reconnect: false });
    await assert.rejects(client.publish('mq/t', 'x', { qos: 2 }), {
      reasonCode: ReasonCode.QoSNotSupported,
    });
    await assert.rejects(client.publish('mq/t', 'x', { retain: true }), {
      reasonCode: ReasonCode.RetainNotSupported,
    });
  });

  it('[MQTT-3.1.2-20] [MQTT-3.1.2-21] pings at the Server Keep Alive when idle', async () => {
    broker = await startFakeBroker({
      connack: () => ({ properties: { serverKeepAlive: 1 } }),
      onPacket: (p, c) => {
        if (p.type === PacketType.Pingreq) c.send({ type: PacketType.Pingresp });
      },
    });
    client = await connect(broker.url, { keepAlive: 60, reconnect: false });
    const conn = await broker.connection(0);
    const started = Date.now();
    await conn.waitFor((p) => p.type === PacketType.Pingreq, 3_000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 800 && elapsed < 2_000, `PINGREQ after ${elapsed} ms`);
    assert.equal(client.connected, true);
  });

  it('detects a dead connection when PINGRESP does not come', async () => {
    broker = await startFakeBroker(); // never answers PINGREQ
    client = await connect(broker.url, { keepAlive: 1, pingTimeout: 500, reconnect: false });
    const offline = new Promise<Error | undefined>((resolve) => client!.on('offline', resolve));
    const error = await offline;
    assert.equal((error as { code?: string }).code, 'PING_TIMEOUT');
    assert.equal(client.connected, false);
  });

  it('[MQTT-4.6.0-1] [MQTT-3.3.1-1] re-sends unacknowledged PUBLISH and PUBREL in order, with DUP', async () => {
    broker = await startFakeBroker({
      onPacket: (p, c) => {
        // Second connection: acknowledge everything.
        if (broker!.connections.indexOf(c) !== 1) return;
        if (p.type === PacketType.Publish && p.qos === 1) c.send(puback(p.packetId!));
        if (p.type === PacketType.Pubrel) {
          c.send({ type: PacketType.Pubcomp, packetId: p.packetId, reasonCode: 0, properties: {} });
        }
      },
    });
    client = await connect(broker.url, { reconnect: { initialDelay: 10, jitter: 0 } });
    const first = await broker.connection(0);
    const q1a = client.publish('dup/a', 'a', { qos: 1 });
    const q2 = client.publish('dup/b', 'b', { qos: 2 });
    const q1c = client.publish('dup/c', 'c', { qos: 1 });
    await first.waitFor((p) => isPublish(p) && p.topic === 'dup/c');
    const b = publishes(first.packets)[1]!;
    first.send({ type: PacketType.Pubrec, packetId: b.packetId!, reasonCode: 0, properties: {} });
    await first.waitFor((p) => p.type === PacketType.Pubrel);
    first.destroy();
    const second = await broker.connection(1);
    await Promise.all([q1a, q2, q1c]);
    const resent = second.packets.filter((p) => p.type !== PacketType.Connect);
    const ids = publishes(first.packets).map((p) => p.packetId);
    assert.deepEqual(
      resent.map((p) => [
        p.type,
        (p as PublishPacket | PubrelPacket).packetId,
        (p as PublishPacket).dup,
      ]),
      [
        [PacketType.Publish, ids[0], true],
        [PacketType.Pubrel, ids[1], undefined],
        [PacketType.Publish, ids[2], true],
      ],
    );
  });
});

// client.publishAtOnce(): QoS 0 without a promise, for code that keeps its own buffer (the bridge).
describe('client.publishAtOnce', () => {
  it('sends QoS 0 PUBLISHes in call order and says so', async () => {
    broker = await startFakeBroker();
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    for (let i = 0; i < 50; i++) {
      assert.equal(client.publishAtOnce(`now/${i % 3}`, Buffer.from(String(i)), i === 49), true);
    }
    await conn.waitFor(() => conn.packets.filter(isPublish).length === 50);
    const sent = conn.packets.filter(isPublish);
    assert.deepEqual(
      sent.map((p) => Buffer.from(p.payload).toString()),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.ok(sent.every((p) => p.qos === 0 && p.retain === (p === sent[49])));
  });

  it('[MQTT-3.3.4-7] false, sending nothing, while a QoS 1 message waits for quota ahead of it', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { receiveMaximum: 1 } }) });
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    client.publish('q/1', 'a', { qos: 1 }).catch(() => {});
    client.publish('q/1', 'b', { qos: 1 }).catch(() => {}); // queued: the quota is 1
    assert.equal(client.publishAtOnce('q/0', Buffer.from('c'), false), false);
    await sleep(50);
    assert.deepEqual(
      conn.packets.filter(isPublish).map((p) => Buffer.from(p.payload).toString()),
      ['a'],
    );
  });

  it('[MQTT-3.2.2-15] throws for a message the broker would refuse; false once ended', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { maximumPacketSize: 64 } }) });
    client = await connect(broker.url, { reconnect: false });
    assert.throws(() => client!.publishAtOnce('big', Buffer.alloc(100), false), {
      code: 'PACKET_TOO_LARGE',
    });
    assert.throws(() => client!.publishAtOnce('bad/#', Buffer.from('x'), false), {
      code: 'INVALID_ARGUMENT',
    });
    await client.end();
    assert.equal(client.publishAtOnce('late', Buffer.from('x'), false), false);
  });
});
