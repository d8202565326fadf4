// Configured limits reached on purpose against a live broker: the refusal each one gives
// (reason codes in 5.0, the 3.1.1 equivalents), and nobody else affected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { PacketType } from '../../src/protocol/index.js';
import { Harness, publishPacket, type RawClient, sleep, text } from '../conformance/raw-client.js';
import { connectBytes, packet, str } from './fixtures/wire.js';

const LIMITS = {
  maxSubscriptionsPerClient: 3,
  maxTopicLevels: 4,
  maxTopicLength: 32,
  maxQueuedMessages: 5,
  maxRetainedMessages: 2,
  maxPacketSize: 4096,
};

const QUOTA_EXCEEDED = 0x97;
const TOPIC_FILTER_INVALID = 0x8f;
const TOPIC_NAME_INVALID = 0x90;

describe('security: configured limits on a live broker', () => {
  let h: Harness;
  let subscriber: RawClient;
  let publisher: RawClient;
  let served = 0;

  before(async () => {
    h = await Harness.start({ broker: LIMITS });
    subscriber = await h.connected({ clientId: 'limits-sub' });
    await subscriber.subscribe([{ topicFilter: 'bystander/#', qos: 1 }]);
    publisher = await h.connected({ version: 4, clientId: 'limits-pub' });
  });

  after(() => h.close());

  async function othersStillServed(): Promise<void> {
    const payload = `alive ${++served}`;
    await publisher.publish('bystander/x', payload, { qos: 1 });
    assert.equal(text(await subscriber.receive()), payload);
  }

  for (const version of [5, 4] as const) {
    const quota = version === 5 ? QUOTA_EXCEEDED : 0x80;
    it(`v${version}: maxSubscriptionsPerClient: SUBACK ${version === 5 ? '0x97' : '0x80'} beyond it; replacing one still works [MQTT-3.8.4-6] [MQTT-3.8.4-3]`, async () => {
      const c = await h.connected({ version, clientId: `subs-${version}` });
      const codes = await c.subscribe(
        ['a', 'b', 'c', 'd', 'e'].map((f) => ({ topicFilter: f, qos: 1 })),
      );
      assert.deepEqual(codes, [1, 1, 1, quota, quota]);
      assert.deepEqual(await c.subscribe([{ topicFilter: 'b', qos: 0 }]), [0]);
      assert.deepEqual(await c.subscribe([{ topicFilter: 'f', qos: 0 }]), [quota]);
      c.disconnect();
      await othersStillServed();
    });
  }

  it('v5: maxTopicLevels / maxTopicLength: PUBLISH gets DISCONNECT 0x90, SUBSCRIBE gets 0x8F, a will CONNACK 0x90', async () => {
    const tooDeep = 'a/b/c/d/e';
    const tooLong = 'x'.repeat(LIMITS.maxTopicLength + 1);
    const sub = await h.connected({ clientId: 'deep-sub' });
    assert.deepEqual(await sub.subscribe([tooDeep, tooLong, 'a/b/c/d']), [
      TOPIC_FILTER_INVALID,
      TOPIC_FILTER_INVALID,
      0,
    ]);
    sub.disconnect();
    for (const topic of [tooDeep, tooLong]) {
      const c = await h.connected({ clientId: `deep-${topic.length}` });
      c.send(publishPacket(topic, 'x'));
      const packets = await c.expectClose();
      assert.deepEqual(
        packets.map((p) => p.type === PacketType.Disconnect && p.reasonCode),
        [TOPIC_NAME_INVALID],
      );
    }
    const will = await h.open(5);
    will.send(
      connectBytes({
        flags: 0x06,
        clientId: str('deep-will'),
        will: Buffer.concat([Buffer.from([0]), str(tooDeep), str('')]),
      }),
    );
    const refused = await will.expectClose();
    assert.deepEqual(
      refused.map((p) => p.type === PacketType.Connack && p.reasonCode),
      [TOPIC_NAME_INVALID],
    );
    await othersStillServed();
  });

  it('maxQueuedMessages: an offline session keeps the first 5 QoS 1 messages, later ones are dropped', async () => {
    const session = { clean: false, properties: { sessionExpiryInterval: 60 } };
    const away = await h.connected({ clientId: 'queue-limit', ...session });
    await away.subscribe([{ topicFilter: 'queued/#', qos: 1 }]);
    away.disconnect();
    await away.expectClose();
    for (let i = 1; i <= 8; i++) await publisher.publish('queued/x', `m${i}`, { qos: 1 });
    const back = await h.connected({ clientId: 'queue-limit', ...session });
    const got: string[] = [];
    for (let i = 0; i < LIMITS.maxQueuedMessages; i++) got.push(text(await back.receive()));
    assert.deepEqual(got, ['m1', 'm2', 'm3', 'm4', 'm5']);
    await back.expectNothing(200);
    back.disconnect();
    await othersStillServed();
  });

  it("maxRetainedMessages: a third retained topic is not kept, replacing a kept one still is; the broker's own $SYS ones do not count", async () => {
    for (const [topic, payload] of [
      ['kept/1', 'one'],
      ['kept/2', 'two'],
      ['kept/3', 'three'],
      ['kept/1', 'one again'],
    ])
      await publisher.publish(topic!, payload!, { qos: 1, retain: true });
    const c = await h.connected({ clientId: 'retained-limit' });
    await c.subscribe([{ topicFilter: 'kept/#', qos: 1 }]);
    const got = [text(await c.receive()), text(await c.receive())].sort();
    assert.deepEqual(got, ['one again', 'two']);
    await c.expectNothing(200);
    c.disconnect();
    for (const topic of ['kept/1', 'kept/2'])
      await publisher.publish(topic, '', { qos: 1, retain: true });
    await othersStillServed();
  });

  it('maxPacketSize over WebSocket: an oversized frame closes that connection only', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.wsPort}/mqtt`, 'mqtt');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const frames: Buffer[] = [];
    const connack = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        frames.push(data as Buffer);
        resolve();
      }),
    );
    ws.send(connectBytes({ clientId: str('ws-big') }));
    await Promise.race([connack, sleep(3_000)]);
    assert.equal(Buffer.concat(frames)[0], 0x20, 'CONNACK first');
    ws.send(packet(0x30, str('bystander/x'), '00', Buffer.alloc(LIMITS.maxPacketSize * 2)));
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('WebSocket not closed within 3 s')), 3_000),
    );
    const code = await Promise.race([closed, timeout]);
    // 1009: message too big (the WebSocket layer's own limit, set from maxPacketSize).
    assert.equal(code, 1009);
    await othersStillServed();
  });
});
