import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SubscriptionIndex, topicMatches, validateTopicFilter } from '../../src/topic/index.js';

// A small alphabet so random filters and topics share levels often enough to match.
const level = fc.constantFrom('', 'a', 'b', 'ab', '$', '$SYS', '#x', 'x+');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
const filterLevel = fc.oneof(level, fc.constant('+'));
const filter = fc
  .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => validateTopicFilter(f) === undefined);
const anyFilter = fc.oneof(filter, fc.constant('#'), fc.constant('+'));

const run = { numRuns: 300, seed: 20_240_601 };

describe('SubscriptionIndex.match equals brute force over topicMatches', () => {
  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.2-1] for random valid filters and topics', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(anyFilter, { maxLength: 30 }),
        fc.array(topic, { minLength: 1, maxLength: 20 }),
        (filters, topics) => {
          const index = new SubscriptionIndex<string>();
          for (const f of filters) index.add(f, 'k', f);
          for (const t of topics) {
            const expected = filters.filter((f) => topicMatches(f, t)).sort();
            assert.deepEqual([...index.match(t)].sort(), expected, `topic ${JSON.stringify(t)}`);
          }
        },
      ),
      run,
    );
  });

  it('after random interleaved adds and removes', () => {
    const op = fc.tuple(fc.boolean(), anyFilter, fc.constantFrom('k1', 'k2'));
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.array(topic, { maxLength: 10 }),
        (ops, topics) => {
          const index = new SubscriptionIndex<string>();
          const model = new Map<string, { filter: string; key: string }>();
          for (const [isAdd, f, key] of ops) {
            const id = `${f}\u0000${key}`;
            if (isAdd) {
              assert.equal(index.add(f, key, id), !model.has(id));
              model.set(id, { filter: f, key });
            } else {
              assert.equal(index.remove(f, key), model.has(id) ? id : undefined);
              model.delete(id);
            }
            assert.equal(index.size, model.size);
            for (const t of topics) {
              const expected = [...model]
                .filter(([, e]) => topicMatches(e.filter, t))
                .map(([id2]) => id2);
              assert.deepEqual([...index.match(t)].sort(), expected.sort());
            }
          }
          assert.deepEqual(
            [...index.entries()].map((e) => e.value).sort(),
            [...model.keys()].sort(),
          );
        },
      ),
      run,
    );
  });

  it('topicMatches agrees with a reference built on split("/")', () => {
    fc.assert(
      fc.property(anyFilter, topic, (f, t) => {
        assert.equal(topicMatches(f, t), referenceMatch(f, t));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

/** The textbook definition, level by level, for comparison. */
function referenceMatch(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (t[0]!.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#' && i === f.length - 1) return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
