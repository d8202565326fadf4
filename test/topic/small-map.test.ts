// SmallMap (src/topic/small-map.ts): one entry in fields, a Map from the second on; it must
// answer like a Map for every sequence of changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SmallMap } from '../../src/topic/small-map.js';

type Op =
  | { op: 'set'; key: string; value: number }
  | { op: 'delete'; key: string }
  | { op: 'clear' };

const key = fc.constantFrom('a', 'b', 'c', '');
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);

describe('SmallMap', () => {
  it('answers like a Map after any changes: size, get, has, delete, and iteration in insertion order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const small = new SmallMap<string, number>();
        const map = new Map<string, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            assert.equal(small.set(o.key, o.value), small);
            map.set(o.key, o.value);
          } else if (o.op === 'delete') assert.equal(small.delete(o.key), map.delete(o.key));
          else {
            small.clear();
            map.clear();
          }
          assert.equal(small.size, map.size);
          for (const k of ['a', 'b', 'c', '', 'z']) {
            assert.equal(small.get(k), map.get(k));
            assert.equal(small.has(k), map.has(k));
          }
          assert.deepEqual([...small], [...map]);
          assert.deepEqual([...small.keys()], [...map.keys()]);
          assert.deepEqual([...small.values()], [...map.values()]);
        }
      }),
    );
  });

  it('an empty one and a one-entry one hold no Map', () => {
    const small = new SmallMap<string, number>();
    small.set('only', 1);
    small.set('only', 2);
    assert.equal((small as unknown as { map: unknown }).map, undefined);
    assert.equal(small.get('only'), 2);
    small.set('second', 3);
    assert.ok((small as unknown as { map: unknown }).map instanceof Map, 'a Map from the second');
  });
});
