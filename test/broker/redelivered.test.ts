// What a node keeps of the redeliveries it heard, for sessions that arrive later
// (src/broker/redelivered.ts): per node they were for, for REDELIVERY_WINDOW_MS, bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDELIVERY_WINDOW_MS, Redelivered } from '../../src/broker/redelivered.js';
import { WINDOW_MS } from '../../src/broker/recent-ids.js';
import type { ClusterMessage } from '../../src/broker/ports.js';

const message = (id: string): ClusterMessage =>
  ({
    id,
    topic: 't',
    payload: Buffer.from(id),
    qos: 1,
    retain: false,
    properties: {},
  }) as ClusterMessage;
const ids = (messages: Iterable<ClusterMessage>) => [...messages].map((m) => m.id);

describe('redeliveries kept for sessions that arrive later', () => {
  it('gives those for the nodes asked, oldest first, each node once', () => {
    const kept = new Redelivered();
    kept.remember('n1', [message('a'), message('b')], 0);
    kept.remember('n2', [message('c')], 10);
    kept.remember('n1', [message('d')], 20);
    assert.deepEqual(ids(kept.for(['n1'], 30)), ['a', 'b', 'd']);
    assert.deepEqual(ids(kept.for(['n2', 'n1', 'n2'], 30)), ['c', 'a', 'b', 'd']);
    assert.deepEqual(ids(kept.for(['n3'], 30)), []);
  });

  it('forgets them after the window, well inside the minute a session keeps its ids', () => {
    assert.ok(REDELIVERY_WINDOW_MS <= WINDOW_MS / 2);
    const kept = new Redelivered();
    kept.remember('n1', [message('a')], 0);
    kept.remember('n1', [message('b')], 1000);
    assert.deepEqual(ids(kept.for(['n1'], REDELIVERY_WINDOW_MS - 1)), ['a', 'b']);
    assert.deepEqual(ids(kept.for(['n1'], REDELIVERY_WINDOW_MS)), ['b']);
    assert.deepEqual(ids(kept.for(['n1'], REDELIVERY_WINDOW_MS + 1000)), []);
  });

  it('keeps at most 10,000 per node, the newest', () => {
    const kept = new Redelivered();
    const many = Array.from({ length: 10_005 }, (_, i) => message(`m${i}`));
    kept.remember('n1', many, 0);
    const left = ids(kept.for(['n1'], 1));
    assert.equal(left.length, 10_000);
    assert.equal(left[0], 'm5');
  });

  it('knows the ids it keeps, a resend\u2019s as its first copy\u2019s, until they are forgotten', () => {
    const kept = new Redelivered();
    assert.equal(kept.has('a'), false);
    kept.remember('n1', [message('a'), message('R5:x')], 0);
    kept.remember('n2', [message('a')], 1000);
    assert.equal(kept.has('a'), true);
    assert.equal(kept.has('Q5:x'), true);
    assert.equal(kept.has('b'), false);
    [...kept.for([], REDELIVERY_WINDOW_MS)];
    assert.equal(kept.has('a'), true, 'still kept for n2');
    assert.equal(kept.has('Q5:x'), false);
    [...kept.for([], REDELIVERY_WINDOW_MS + 1000)];
    assert.equal(kept.has('a'), false);
  });
});
