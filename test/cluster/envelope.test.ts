// Messages between nodes (src/cluster/envelope.ts): everything a subscriber on another node
// must see comes through, per-hop properties do not [MQTT-3.3.2-17] [MQTT-3.3.4-6].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBatch,
  decodeEnvelope,
  encodeBatch,
  encodeEnvelope,
} from '../../src/cluster/envelope.js';
import { decodeSession, encodeSession } from '../../src/cluster/session-codec.js';
import { encodedPublish, type Message } from '../../src/broker/message.js';

const full = {
  topic: 'a b/c.d/温度',
  payload: Buffer.from([0, 1, 2, 255]),
  qos: 2 as const,
  retain: true,
  properties: {
    payloadFormatIndicator: 0 as const,
    messageExpiryInterval: 60,
    contentType: 'application/octet-stream',
    responseTopic: 'reply/here',
    correlationData: Buffer.from('corr'),
    userProperties: [
      ['k', 'v1'],
      ['k', 'v2'],
    ] as [string, string][],
    topicAlias: 3,
    subscriptionIdentifiers: [7],
  },
  expiresAt: 1_800_000_000_123,
  origin: 'publisher-1',
};

describe('cluster envelope', () => {
  it('carries topic, payload, QoS, retain, properties, expiry and the publishing client', () => {
    const message = decodeEnvelope(encodeEnvelope(full));
    assert.equal(message.topic, full.topic);
    assert.deepEqual(Buffer.from(message.payload), full.payload);
    assert.equal(message.qos, 2);
    assert.equal(message.retain, true);
    assert.equal(message.expiresAt, full.expiresAt);
    assert.equal(message.origin, 'publisher-1');
    const { topicAlias: _a, subscriptionIdentifiers: _s, ...crossing } = full.properties;
    assert.deepEqual(
      { ...message.properties, correlationData: Buffer.from(message.properties.correlationData!) },
      crossing,
    );
  });

  it('carries a message id when it has one; a batch names the others by stamp and place', () => {
    const withId = decodeEnvelope(encodeEnvelope({ ...full, id: 'abc.12.3' }));
    assert.equal(withId.id, 'abc.12.3');
    assert.equal(withId.topic, full.topic);
    const batch = decodeBatch(
      encodeBatch({ incarnation: 36, seq: 5 }, [full, { ...full, id: 'x' }]),
    );
    assert.deepEqual(
      batch.messages.map((m) => m.id),
      ['10.5.0', 'x'],
    );
  });

  it('keeps a bare 3.1.1 message bare', () => {
    const bare = {
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0 as const,
      retain: false,
      properties: {},
    };
    const message = decodeEnvelope(encodeEnvelope(bare));
    const { encoded, ...rest } = message as Message;
    assert.deepEqual(rest, { ...bare, payload: message.payload });
    assert.equal(message.payload.length, 0);
  });

  it('hands a message without properties to 3.1.1 subscribers as it came, not encoded again', () => {
    for (const qos of [0, 1, 2] as const) {
      for (const retain of [false, true]) {
        const sent = { topic: 'a/b', payload: Buffer.from('x'), qos, retain, properties: {} };
        const message = decodeBatch(encodeBatch({ incarnation: 1, seq: 1 }, [sent]))
          .messages[0] as Message;
        const variant = { version: 4 as const, qos, retain };
        const preset = encodedPublish(message, variant, 0);
        assert.deepEqual(preset, encodedPublish({ ...sent }, variant, 0), `QoS ${qos} ${retain}`);
        assert.equal(preset.buffer, message.payload.buffer, 'a view of the batch, no copy');
      }
    }
    const withProperties = decodeBatch(
      encodeBatch({ incarnation: 1, seq: 1 }, [
        { ...full, qos: 0, properties: { contentType: 'x' } },
      ]),
    ).messages[0] as Message;
    assert.equal(withProperties.encoded, undefined, '5.0 properties travel in a 5.0 PUBLISH');
  });

  it('batches keep their stamp and the order of their messages', () => {
    const topics = ['a', 'a', 'b/c', ''].map((t, i) => ({
      ...full,
      topic: t || 'z',
      qos: (i % 3) as 0 | 1 | 2,
    }));
    const batch = decodeBatch(encodeBatch({ incarnation: 0xdeadbeef, seq: 2 ** 40 }, topics));
    assert.deepEqual(batch.stamp, { incarnation: 0xdeadbeef, seq: 2 ** 40 });
    assert.deepEqual(
      batch.messages.map((m) => [m.topic, m.qos]),
      topics.map((m) => [m.topic, m.qos]),
    );
    assert.throws(() => decodeBatch(Buffer.alloc(5)), /batch/);
    const cut = encodeBatch({ incarnation: 1, seq: 1 }, [full]);
    assert.throws(() => decodeBatch(cut.subarray(0, cut.length - 3)), /batch/);
  });

  it('refuses bytes that are not an envelope', () => {
    assert.throws(() => decodeEnvelope(Buffer.from('hello world, no envelope')), /envelope/);
    assert.throws(() => decodeEnvelope(Buffer.alloc(3)), /envelope/);
  });

  it('hands over a session with queued and in-flight messages and QoS 2 ids intact', () => {
    const moved = {
      record: {
        clientId: 'm1',
        protocolVersion: 5 as const,
        expiryInterval: 300,
        disconnectedAt: 1000,
        subscriptions: [
          {
            topicFilter: 'a/#',
            qos: 2 as const,
            noLocal: false,
            retainAsPublished: true,
            retainHandling: 0 as const,
            subscriptionIdentifier: 4,
          },
        ],
        delayedWill: { publishAt: 5000, message: { ...full, origin: 'm1' } },
      },
      outbound: [
        {
          seq: 1,
          message: { ...full, qos: 1 as const, properties: {} },
          packetId: 9,
          state: 'sent' as const,
          subscriptionIdentifiers: [4],
        },
        { seq: 2, message: { ...full, properties: {} }, state: 'queued' as const },
      ],
      incomingQos2: [3, 65535],
    };
    const back = decodeSession(encodeSession(moved));
    assert.deepEqual(back.record.subscriptions, moved.record.subscriptions);
    assert.equal(back.record.delayedWill?.publishAt, 5000);
    assert.equal(back.record.delayedWill?.message.topic, full.topic);
    assert.deepEqual(back.incomingQos2, [3, 65535]);
    assert.equal(back.outbound.length, 2);
    assert.equal(back.outbound[0]!.packetId, 9);
    assert.equal(back.outbound[0]!.message.qos, 1);
    assert.deepEqual(back.outbound[0]!.subscriptionIdentifiers, [4]);
    assert.equal(back.outbound[1]!.state, 'queued');
    assert.deepEqual(Buffer.from(back.outbound[1]!.message.payload), full.payload);
  });
});
