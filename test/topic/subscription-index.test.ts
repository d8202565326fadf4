import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscriptionIndex } from '../../src/topic/index.js';

const sorted = (values: readonly string[]) => [...values].sort();

/** The index's entries as sorted "filter|key|value" strings. */
function entryList(index: SubscriptionIndex<string>) {
  return [...index.entries()].map(({ filter, key, value }) => `${filter}|${key}|${value}`).sort();
}

describe('SubscriptionIndex add/remove/replace', () => {
  it('add returns true for a new (filter, key) and false when it replaces the value', () => {
    const index = new SubscriptionIndex<string>();
    assert.equal(index.add('a/b', 'c1', 'v1'), true);
    assert.equal(index.add('a/b', 'c2', 'v2'), true);
    assert.equal(index.add('a/+', 'c1', 'v3'), true);
    assert.equal(index.size, 3);
    assert.equal(index.add('a/b', 'c1', 'v1b'), false);
    assert.equal(index.size, 3);
    assert.deepEqual(sorted(index.match('a/b')), ['v1b', 'v2', 'v3']);
    assert.equal(index.get('a/b', 'c1'), 'v1b');
  });

  it('remove returns the removed value, or undefined for an unknown (filter, key)', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a/#', 'c1', 'v1');
    assert.equal(index.remove('a/#', 'c2'), undefined);
    assert.equal(index.remove('a/+', 'c1'), undefined);
    assert.equal(index.remove('a', 'c1'), undefined);
    assert.equal(index.remove('a/#/x', 'c1'), undefined);
    assert.equal(index.size, 1);
    assert.equal(index.remove('a/#', 'c1'), 'v1');
    assert.equal(index.remove('a/#', 'c1'), undefined);
    assert.equal(index.size, 0);
    assert.deepEqual(index.match('a/b'), []);
  });

  it('keeps a value under a filter and its prefix apart', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a', 'c', 'short');
    index.add('a/b', 'c', 'long');
    assert.equal(index.remove('a', 'c'), 'short');
    assert.deepEqual(index.match('a/b'), ['long']);
    assert.deepEqual(index.match('a'), []);
  });

  it('prunes empty nodes, so a removed branch no longer exists', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a/b/c/d', 'k', 'deep');
    index.add('a/+/#', 'k', 'wild');
    index.add('a', 'k', 'top');
    index.remove('a/b/c/d', 'k');
    index.remove('a/+/#', 'k');
    const trie = (index as unknown as { root: { literal?: Map<string, TrieShape> } }).root;
    const a = trie.literal?.get('a');
    assert.ok(a, 'node for "a" still holds a value');
    assert.equal(a.literal?.size ?? 0, 0, 'literal child "b" pruned');
    assert.equal(a.plus, undefined, '"+" slot pruned');
    index.remove('a', 'k');
    assert.equal(trie.literal?.size ?? 0, 0, 'root emptied');
    assert.deepEqual(entryList(index), []);
  });

  it('entries lists every (filter, key, value)', () => {
    const index = new SubscriptionIndex<string>();
    index.add('#', 'c1', 'v1');
    index.add('a/+', 'c1', 'v2');
    index.add('a/+', 'c2', 'v3');
    index.add('$SYS/#', 'c3', 'v4');
    index.add('', 'c4', 'v5');
    assert.deepEqual(
      entryList(index),
      ['#|c1|v1', '$SYS/#|c3|v4', '|c4|v5', 'a/+|c1|v2', 'a/+|c2|v3'].sort(),
    );
  });

  it('clear empties the index', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a/#', 'c1', 'v1');
    index.match('a/b');
    index.clear();
    assert.equal(index.size, 0);
    assert.deepEqual(index.match('a/b'), []);
  });
});

interface TrieShape {
  literal?: Map<string, TrieShape>;
  plus?: TrieShape;
}

describe('SubscriptionIndex.match', () => {
  it('returns each (filter, key) once even when several wildcards reach the same topic', () => {
    const index = new SubscriptionIndex<string>();
    for (const filter of ['#', 'a/#', 'a/+/#', 'a/b/#', '+/b', 'a/b', '+/+', 'a/b/c/#']) {
      index.add(filter, 'same-client', filter);
    }
    assert.deepEqual(
      sorted(index.match('a/b')),
      sorted(['#', 'a/#', 'a/+/#', 'a/b/#', '+/b', 'a/b', '+/+']),
    );
  });

  it('[MQTT-4.7.2-1] does not match "$" topics with root wildcards, only with literal "$" levels', () => {
    const index = new SubscriptionIndex<string>();
    index.add('#', 'c', 'hash');
    index.add('+/x', 'c', 'plus');
    index.add('$SYS/#', 'c', 'sys');
    index.add('$SYS/+', 'c', 'sys-plus');
    assert.deepEqual(sorted(index.match('$SYS/x')), ['sys', 'sys-plus']);
    assert.deepEqual(sorted(index.match('SYS/x')), ['hash', 'plus']);
  });

  it('reflects add and remove after the result was cached', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a/+', 'c1', 'v1');
    const first = index.match('a/b');
    assert.deepEqual(first, ['v1']);
    assert.equal(index.match('a/b'), first, 'a repeated match is served from the cache');
    index.add('a/b', 'c2', 'v2');
    assert.deepEqual(sorted(index.match('a/b')), ['v1', 'v2']);
    index.add('a/b', 'c2', 'v2b');
    assert.deepEqual(sorted(index.match('a/b')), ['v1', 'v2b']);
    index.remove('a/+', 'c1');
    assert.deepEqual(index.match('a/b'), ['v2b']);
    assert.deepEqual(first, ['v1'], 'an array already returned is never changed');
  });

  it('keeps the cache bounded and still answers every topic right', () => {
    const index = new SubscriptionIndex<number>({ cacheSize: 100 });
    index.add('t/+', 'c', 1);
    for (let i = 0; i < 1000; i++) assert.deepEqual(index.match(`t/${i}`), [1]);
    assert.equal(index.cachedTopics, 100);
    assert.deepEqual(index.match('u/1'), []);
  });

  it('works with the cache disabled', () => {
    const index = new SubscriptionIndex<number>({ cacheSize: 0 });
    index.add('t/#', 'c', 1);
    assert.deepEqual(index.match('t/a'), [1]);
    assert.equal(index.cachedTopics, 0);
  });

  it('does not cache very long topics', () => {
    const index = new SubscriptionIndex<number>();
    index.add('#', 'c', 1);
    assert.deepEqual(index.match('x'.repeat(5000)), [1]);
    assert.equal(index.cachedTopics, 0);
  });

  it('scales with matching branches, not with the number of subscriptions', () => {
    // 50,000 subscriptions on unrelated topics; a match visits only its own branch.
    const index = new SubscriptionIndex<number>({ cacheSize: 0 });
    for (let i = 0; i < 50_000; i++) index.add(`device/${i}/telemetry`, `c${i}`, i);
    index.add('device/+/status', 'watcher', -1);
    assert.deepEqual(index.match('device/123/telemetry'), [123]);
    assert.deepEqual(index.match('device/123/status'), [-1]);
    assert.deepEqual(index.match('device/50000/telemetry'), []);
    assert.equal(index.size, 50_001);
  });
});
