// What a node remembers so that a node's death delivers nothing twice: QoS 2 resends that come
// through another node (src/broker/qos2-seen.ts) and redeliveries to a session that moved
// (src/broker/recent-ids.ts) [MQTT-4.3.3-12].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../src/broker/message.js';
import { Qos2Seen, qos2Id } from '../../src/broker/qos2-seen.js';
import { RecentIds } from '../../src/broker/recent-ids.js';

const message = (payload: string, origin = 'pub'): Message => ({
  topic: 'a/b',
  payload: Buffer.from(payload),
  qos: 2,
  retain: false,
  properties: {},
  origin,
});

describe('QoS 2 resends through another node [MQTT-4.3.3-12]', () => {
  it('gives the first copy and its DUP resend one id on every node, apart from the mark', () => {
    const first = qos2Id(message('x'), 7, false);
    const resend = qos2Id(message('x'), 7, true);
    assert.equal(first[0], 'Q');
    assert.equal(resend[0], 'R');
    assert.equal(first.slice(1), resend.slice(1));
    assert.notEqual(qos2Id(message('y'), 7, false), first, 'payload counts');
    assert.notEqual(qos2Id(message('x'), 8, false), first, 'packet id counts');
    assert.notEqual(qos2Id(message('x', 'other'), 7, false), first, 'publisher counts');
    assert.ok(
      qos2Id(message('x', 'c'.repeat(65535)), 7, false).length < 64,
      'fits one length byte',
    );
  });

  it('knows when the first copy of a resend was routed here, and only that', () => {
    const seen = new Qos2Seen();
    const first = qos2Id(message('x'), 7, false);
    const resend = qos2Id(message('x'), 7, true);
    assert.equal(seen.firstRoutedAt(resend, 0), undefined, 'a resend never seen here is routed');
    assert.equal(seen.firstRoutedAt(resend, 1), undefined, 'a resend is no proof of delivery');
    const other = new Qos2Seen();
    assert.equal(other.firstRoutedAt(first, 1000), undefined);
    assert.equal(other.firstRoutedAt(resend, 2000), 1000, 'the resend of a routed copy is known');
    assert.equal(other.firstRoutedAt(first, 3000), undefined, 'a new message reusing the id');
    assert.equal(other.firstRoutedAt(resend, 3500), 3000, 'its resend dates from the new one');
    assert.equal(other.firstRoutedAt(undefined, 3000), undefined);
    assert.equal(other.firstRoutedAt('abc:1', 3000), undefined, 'other ids are not QoS 2 resends');
  });

  it('forgets after half a minute', () => {
    const seen = new Qos2Seen();
    seen.firstRoutedAt(qos2Id(message('x'), 7, false), 0);
    assert.equal(seen.firstRoutedAt(qos2Id(message('x'), 7, true), 29_000), 0);
    seen.firstRoutedAt(qos2Id(message('y'), 7, false), 0);
    assert.equal(seen.firstRoutedAt(qos2Id(message('y'), 7, true), 31_000), undefined);
  });

  it('a session that got the first copy also has its resend (one message) [MQTT-4.3.3-12]', () => {
    const recent = new RecentIds(0);
    recent.add(qos2Id(message('x'), 7, false), 10);
    assert.equal(recent.has(qos2Id(message('x'), 7, true)), true);
    const other = new RecentIds(0);
    other.add(qos2Id(message('y'), 9, true), 10);
    assert.equal(other.has(qos2Id(message('y'), 9, false)), true, 'and the other way round');
    assert.equal(other.arrivedAt, 0);
  });
});

describe('a moved session recognises a redelivery', () => {
  it('knows the messages it brought along, and takes QoS 2 PUBLISHes as resends at first', () => {
    const recent = new RecentIds(1000, ['in-flight', undefined, 'queued']);
    assert.equal(recent.has('in-flight'), true);
    assert.equal(recent.has('queued'), true);
    // MQTT.js resends its in-flight PUBLISHes without DUP right after CONNACK.
    assert.equal(recent.fresh(1000), true);
    assert.equal(recent.fresh(5999), true);
    assert.equal(recent.fresh(6000), false);
  });

  it('remembers what it got for a minute, bounded', () => {
    const recent = new RecentIds(0);
    recent.add('a', 10);
    assert.equal(recent.has('a'), true);
    assert.equal(recent.has('b'), false);
    for (let i = 0; i < 5000; i++) recent.add(`m${i}`, 20);
    assert.equal(recent.has('a'), false, 'the oldest went first');
    assert.equal(recent.has('m4999'), true);
    recent.add('late', 60_001);
    assert.equal(recent.has('late'), false, 'past its window it keeps nothing');
    assert.equal(recent.has('m4999'), false);
  });
});
