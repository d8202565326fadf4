// Server limits: each refusal carries its reason code; rate limits slow a client, not lose it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/constants.js';
import { Harness, publishPacket, sleep, subscription } from '../conformance/raw-client.js';

test('maxConnections refuses the next client with CONNACK 0x97 (5.0) / 3 (3.1.1) [MQTT-3.2.2-7]', async () => {
  const h = await Harness.start({ broker: { maxConnections: 2 } });
  try {
    await h.connected({ clientId: 'a' });
    await h.connected({ clientId: 'b' });
    const v5 = await h.connect({ clientId: 'c' });
    assert.equal(v5.connack.reasonCode, ReasonCode.QuotaExceeded);
    await v5.client.expectClose();
    const v4 = await h.connect({ clientId: 'd', version: 4 });
    assert.equal(v4.connack.reasonCode, ReasonCode.ServerUnavailable);
  } finally {
    await h.close();
  }
});

test('maxConnectionsPerIp counts the sockets of one address', async () => {
  const h = await Harness.start({ broker: { maxConnectionsPerIp: 1 } });
  try {
    await h.connected({ clientId: 'a' });
    const second = await h.connect({ clientId: 'b' });
    assert.equal(second.connack.reasonCode, ReasonCode.QuotaExceeded);
  } finally {
    await h.close();
  }
});

test('maxConnectionRate answers 0x9F Connection rate exceeded', async () => {
  const h = await Harness.start({ broker: { maxConnectionRate: 2 } });
  try {
    await h.connected({ clientId: 'a' });
    await h.connected({ clientId: 'b' });
    const third = await h.connect({ clientId: 'c' });
    assert.equal(third.connack.reasonCode, ReasonCode.ConnectionRateExceeded);
  } finally {
    await h.close();
  }
});

test('a flapping client id is banned: 0x8A after flapThreshold reconnects in the window', async () => {
  const h = await Harness.start({
    broker: { flapThreshold: 3, flapWindow: 60, flapBanDuration: 60 },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const c = await h.connected({ clientId: 'flappy' });
      c.destroy();
    }
    const fourth = await h.connect({ clientId: 'flappy' });
    assert.equal(fourth.connack.reasonCode, ReasonCode.Banned);
    await h.connected({ clientId: 'steady' });
  } finally {
    await h.close();
  }
});

test('above the memory high-water mark new clients get 0x89 Server busy', async () => {
  const h = await Harness.start({ broker: { memoryHighWaterMark: 1 } });
  try {
    await sleep(1200); // the sweep samples memory once a second
    const refused = await h.connect({ clientId: 'late' });
    assert.equal(refused.connack.reasonCode, ReasonCode.ServerBusy);
  } finally {
    await h.close();
  }
});

test('maxPublishRate slows a publisher down without losing its messages', {
  timeout: 20_000,
}, async () => {
  const h = await Harness.start({ broker: { maxPublishRate: 200 } });
  try {
    const subscriber = await h.connected({ clientId: 'sub' });
    subscriber.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [subscription({ topicFilter: 'rate/#', qos: 1 })],
      properties: {},
    });
    await subscriber.expect(PacketType.Suback);
    const publisher = await h.connected({ clientId: 'pub' });
    const started = Date.now();
    for (let i = 1; i <= 600; i++) publisher.send(publishPacket('rate/x', String(i), { qos: 0 }));
    for (let i = 1; i <= 600; i++) {
      const p = await subscriber.expect(PacketType.Publish, 5000);
      assert.equal(Buffer.from(p.payload).toString(), String(i));
    }
    const elapsed = Date.now() - started;
    // A burst of one second's worth, then 200/s: 600 messages need about 2 s.
    assert.ok(elapsed >= 1500, `600 publishes at 200/s took only ${elapsed} ms`);
  } finally {
    await h.close();
  }
});

test('a retained message beyond maxRetainedMessages gets PUBACK 0x97 Quota exceeded in 5.0', async () => {
  const h = await Harness.start({ broker: { maxRetainedMessages: 1 } });
  try {
    const publisher = await h.connected({ clientId: 'retainer' });
    publisher.send(publishPacket('r/1', 'one', { qos: 1, retain: true, packetId: 1 }));
    assert.equal(
      (await publisher.expect(PacketType.Puback)).reasonCode,
      ReasonCode.NoMatchingSubscribers,
    );
    publisher.send(publishPacket('r/2', 'two', { qos: 1, retain: true, packetId: 2 }));
    assert.equal((await publisher.expect(PacketType.Puback)).reasonCode, ReasonCode.QuotaExceeded);
    // Replacing the kept topic is still fine.
    publisher.send(publishPacket('r/1', 'uno', { qos: 1, retain: true, packetId: 3 }));
    assert.equal(
      (await publisher.expect(PacketType.Puback)).reasonCode,
      ReasonCode.NoMatchingSubscribers,
    );
  } finally {
    await h.close();
  }
});
