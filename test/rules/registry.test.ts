// The rules' topic index (src/rules/registry.ts): one trie walk per message, answers in
// creation order, the same rule once, and no new array per message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Registered, RuleRegistry, type Source } from '../../src/rules/registry.js';

const topic = (filter: string): Source => ({ kind: 'topic', filter });
const rule = (id: string, seq: number): Registered => ({ id, seq });

describe('RuleRegistry.match', () => {
  it('finds one rule among 100 on distinct filters', () => {
    const registry = new RuleRegistry<Registered>();
    const rules = Array.from({ length: 100 }, (_, n) => rule(`r${n}`, n + 1));
    for (const [n, r] of rules.entries()) registry.add(r, [topic(`bench/rules/${n}`)]);
    for (let n = 0; n < 100; n++) assert.deepEqual(registry.match(`bench/rules/${n}`), [rules[n]]);
    assert.deepEqual(registry.match('bench/rules/100'), []);
  });

  it('answers in creation order, a rule once though two of its filters match', () => {
    const registry = new RuleRegistry<Registered>();
    const late = rule('late', 3);
    const early = rule('early', 1);
    const both = rule('both', 2);
    registry.add(late, [topic('a/#')]);
    registry.add(both, [topic('a/+'), topic('+/b')]);
    registry.add(early, [topic('a/b')]);
    assert.deepEqual(registry.match('a/b'), [early, both, late]);
  });

  it('gives the same array for the same topic until the rules change (no array per message)', () => {
    const registry = new RuleRegistry<Registered>();
    const a = rule('a', 1);
    const b = rule('b', 2);
    registry.add(b, [topic('x/#')]);
    registry.add(a, [topic('x/+')]);
    const first = registry.match('x/1');
    assert.deepEqual(first, [a, b]);
    assert.equal(registry.match('x/1'), first);
    registry.remove(a, [topic('x/+')]);
    assert.deepEqual(registry.match('x/1'), [b]);
    registry.add(a, [topic('x/+')]);
    assert.deepEqual(registry.match('x/1'), [a, b]);
  });
});
