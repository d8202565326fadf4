// Group commit to a KV bucket (src/cluster/kv-writer.ts), against a real nats-server: a
// record deleted before its group goes is never written, and a node confirming messages its
// subscribers already acknowledged does not wait for the group (flushPuts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KV } from '@nats-io/kv';
import { KvWriter } from '../../src/cluster/kv-writer.js';
import { kvBuckets } from './nats.js';

const newBucket = kvBuckets('writer');

/** Whether `promise` settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

async function has(kv: KV, key: string): Promise<boolean> {
  const entry = await kv.get(key);
  return entry !== null && entry.operation === 'PUT';
}

describe('KvWriter', () => {
  it('flushPuts resolves as soon as every put it waits for is cancelled, before the group', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 400);
    writer.put('a', '1');
    writer.put('b', '2');
    const waiting = writer.flushPuts();
    writer.put('c', '3'); // after the flush: not waited for
    writer.delete('a');
    assert.equal(await settlesWithin(waiting, 50), false, 'b is still to be written');
    writer.delete('b');
    assert.equal(await settlesWithin(waiting, 100), true, 'a and b acknowledged: done early');
    await writer.flush();
    assert.deepEqual(
      [await has(kv, 'a'), await has(kv, 'b'), await has(kv, 'c')],
      [false, false, true],
    );
  });

  it('flushPuts waits for the group when a put it needs is put again, then lands', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 100);
    writer.put('a', 'sent');
    const waiting = writer.flushPuts();
    writer.put('a', 'released'); // a QoS 2 record changes state: still to be written
    assert.equal(await settlesWithin(waiting, 50), false);
    await waiting;
    assert.equal((await kv.get('a'))?.string(), 'released');
  });

  it('holds a put back for its grace: acknowledged meanwhile, it is never written', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 5, 300);
    writer.put('acked', 'sent', 'held');
    writer.put('slow', 'sent', 'held');
    writer.put('now', 'queued');
    const waiting = writer.flushPuts();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      [await has(kv, 'acked'), await has(kv, 'slow'), await has(kv, 'now')],
      [false, false, true],
    );
    writer.delete('acked');
    assert.equal(await settlesWithin(waiting, 100), false, 'slow is still to be written');
    await waiting; // once slow's grace is over and it landed
    assert.deepEqual([await has(kv, 'acked'), await has(kv, 'slow')], [false, true]);
  });

  it('a QoS 2 id put after-held lands after the message records held back before it', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 5, 60_000);
    writer.put('o.sub.1', 'message for a subscriber', 'held');
    writer.put('q.pub.7', 'id received', 'after-held');
    writer.put('o.sub.2', 'a later message', 'held');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = await kv.get('o.sub.1');
    const id = await kv.get('q.pub.7');
    assert.ok(held !== null && id !== null, 'both written, long before the grace');
    assert.ok(held.revision < id.revision, 'the message record first');
    assert.equal(await has(kv, 'o.sub.2'), false, 'a later held-back record still waits');
    await writer.flush();
  });

  it('flush sends held-back puts at once (closing)', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 5, 60_000);
    writer.put('a', 'sent', 'held');
    assert.equal(await settlesWithin(writer.flush(), 1000), true);
    assert.equal(await has(kv, 'a'), true);
  });

  it('flush (closing) still waits for deletes of written keys', async () => {
    const kv = await newBucket();
    const writer = new KvWriter(kv, 5);
    writer.put('a', '1');
    await writer.flush();
    writer.delete('a');
    assert.equal(await settlesWithin(writer.flushPuts(), 20), true, 'no put to wait for');
    await writer.flush();
    assert.equal(await has(kv, 'a'), false);
  });
});
