// What a node remembers so that a node's death delivers nothing twice: QoS 2 resends that come
// through another node (src/broker/qos2-seen.ts) and redeliveries to a session that moved
// (src/broker/recent-ids.ts) [MQTT-4.3.3-10] [MQTT-4.3.3-2].
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

describe('QoS 2 resends through another node [MQTT-4.3.3-10]', () => {
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

  it('a session that got the first copy also has its resend (one message) [MQTT-4.3.3-10]', () => {
    const recent = RecentIds.madeHere();
    recent.add(qos2Id(message('x'), 7, false), 10, true);
    assert.equal(recent.has(qos2Id(message('x'), 7, true), 20), true);
    const other = RecentIds.madeHere();
    other.add(qos2Id(message('y'), 9, true), 10, true);
    assert.equal(other.has(qos2Id(message('y'), 9, false), 20), true, 'and the other way round');
  });
});

describe('a moved session recognises a redelivery', () => {
  it('knows the messages it brought along, and takes QoS 2 PUBLISHes as resends at first', () => {
    const recent = new RecentIds(1000, ['in-flight', undefined, 'queued'], ['done']);
    assert.equal(recent.has('in-flight', 1000), true);
    assert.equal(recent.has('queued', 1000), true);
    assert.equal(recent.has('done', 1000), true, 'and the QoS 2 messages it completed lately');
    assert.equal(recent.arrivedAt, 1000);
    // MQTT.js resends its in-flight PUBLISHes without DUP after CONNACK, late if it tried a
    // dead node first: the first use of each packet id in the minute after the move.
    assert.equal(recent.mayBeResend(7, 1000), true);
    assert.equal(recent.mayBeResend(7, 1001), false, 'a packet id used here since is new');
    assert.equal(recent.mayBeResend(8, 20_000), true);
    assert.equal(recent.mayBeResend(9, 61_000), false, 'past the minute nothing is a resend');
  });

  it('remembers every id for its first minute here, bounded', () => {
    const recent = new RecentIds(0);
    recent.add('a', 10, false);
    assert.equal(recent.has('a', 10), true);
    assert.equal(recent.has('b', 10), false);
    for (let i = 0; i < 5000; i++) recent.add(`m${i}`, 20, false);
    assert.equal(recent.has('a', 20), false, 'the oldest went first');
    assert.equal(recent.has('m4999', 20), true);
    recent.add('late', 60_001, false);
    assert.equal(recent.has('late', 60_001), false, 'past its first minute only QoS 2 ids count');
    assert.equal(recent.has('m4999', 60_020), false, 'and ids are kept a minute');
    assert.deepEqual(recent.completed(60_001), [], 'none of them was QoS 2');
  });
});

describe('every persistent session keeps its QoS 2 ids a minute [MQTT-4.3.3-10]', () => {
  it('keeps them wherever it was made, and gives them along when it moves', () => {
    const recent = RecentIds.madeHere();
    assert.equal(
      recent.mayBeResend(1, 0),
      false,
      'a session made here resends nothing of another node',
    );
    recent.add('q1', 1000, true);
    recent.add('other', 1000, false);
    assert.equal(recent.has('q1', 60_999), true);
    assert.equal(recent.has('q1', 61_000), false);
    assert.equal(recent.has('other', 1000), false, 'only QoS 2 ids outside a move');
    recent.add('q2', 30_000, true);
    assert.deepEqual(recent.completed(40_000), ['q1', 'q2']);
    assert.deepEqual(recent.completed(61_000), ['q2'], 'only those of the last minute');
  });

  it('keeps a QoS 2 id once, by its first copy, refreshed when it comes again', () => {
    const recent = RecentIds.madeHere();
    const first = qos2Id(message('x'), 7, false);
    recent.add(first, 0, true);
    recent.add(qos2Id(message('x'), 7, true), 50_000, true);
    assert.deepEqual(recent.completed(50_000), [first]);
    assert.equal(recent.has(first, 100_000), true, 'a minute from the resend');
  });

  it('holds at most a bounded number, oldest first', () => {
    const recent = RecentIds.madeHere();
    for (let i = 0; i < 5000; i++) recent.add(`q${i}`, 0, true);
    assert.equal(recent.completed(0).length, 4096);
    assert.equal(recent.has('q0', 0), false);
    assert.equal(recent.has('q4999', 0), true);
  });

  it('takes a late first copy of a message it had before it moved as no new message', () => {
    const recent = new RecentIds(1000, ['queued'], [qos2Id(message('x'), 7, true)]);
    assert.equal(recent.hadBefore(qos2Id(message('x'), 7, false), 2000), true);
    assert.equal(recent.hadBefore('queued', 2000), true);
    assert.equal(recent.hadBefore('queued', 61_000), false, 'only in the minute after the move');
    recent.add('got-here', 2000, true);
    // [MQTT-4.3.3-12] the client may publish the same again with that packet id: a new message.
    assert.equal(recent.hadBefore('got-here', 2000), false);
    assert.equal(RecentIds.madeHere().hadBefore('queued', 0), false);
  });
});
