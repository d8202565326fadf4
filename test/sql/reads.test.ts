// CompiledRule.reads: the input fields a rule may read, so that the rule engine builds only
// those. Too few would hide a field from the rule: every way an expression reads is covered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRule, FUNCTIONS } from '../../src/sql/index.js';
import { NOT_DECODED, type Scope } from '../../src/sql/scope.js';

const reads = (sql: string) => {
  const set = compileRule(sql).reads;
  return set === undefined ? undefined : [...set].sort();
};

describe('CompiledRule.reads', () => {
  const table: [string, string[] | undefined][] = [
    ['SELECT clientid FROM "t/#"', ['clientid']],
    ['SELECT * FROM "t/#"', undefined],
    ['SELECT clientid, * FROM "t/#"', undefined],
    ['SELECT payload.a.b[1].c AS x FROM "t/#"', ['payload']],
    ['SELECT payload.a[idx] FROM "t/#"', ['idx', 'payload']],
    ['SELECT payload.list[lo..hi] AS r FROM "t/#"', ['hi', 'lo', 'payload']],
    ['SELECT 1 AS one FROM "t/#"', []],
    [
      'SELECT qos FROM "t/#" WHERE username = \'u\' AND NOT flags.retain',
      ['flags', 'qos', 'username'],
    ],
    ['SELECT -qos AS n FROM "t/#" WHERE peerhost IN (node, \'x\')', ['node', 'peerhost', 'qos']],
    ['SELECT [clientid, id] AS l FROM "t/#"', ['clientid', 'id']],
    ['SELECT CASE qos WHEN 1 THEN topic ELSE node END AS c FROM "t/#"', ['node', 'qos', 'topic']],
    ['SELECT CASE WHEN timestamp > 1 THEN 1 END AS c FROM "t/#"', ['timestamp']],
    ['SELECT upper(username) AS u FROM "t/#" WHERE topic =~ \'t/+\'', ['topic', 'username']],
    // topic() reads the input's topic though no argument names it.
    ['SELECT topic(2) AS level FROM "t/#"', ['topic']],
    ['SELECT t FROM "t/#" WHERE topic() = \'t/a\'', ['t', 'topic']],
    [
      'FOREACH payload.items AS i DO i.id, clientid INCASE i.v > qos FROM "t/#" WHERE event = \'e\'',
      ['clientid', 'event', 'i', 'payload', 'qos'],
    ],
    ['FOREACH payload.items FROM "$events/client_connected"', ['payload']],
  ];
  for (const [sql, expected] of table)
    it(`${sql} reads ${expected === undefined ? 'every field' : `[${expected}]`}`, () => {
      assert.deepEqual(reads(sql), expected);
    });

  it('a function that reads the input itself says which fields (SqlFunction.reads)', () => {
    // Every built-in runs on an input that records what is read: it must be in `reads`.
    const argsToTry: unknown[][] = [[], [1], ['a/b'], ['a', 'b'], [1, 2], ['a', 'b', 'c']];
    for (const [name, fn] of FUNCTIONS) {
      const touched = new Set<string>();
      const input = new Proxy(
        { topic: 'a/b', payload: '{}', clientid: 'c' } as Record<string, unknown>,
        {
          get(target, key) {
            if (typeof key === 'string') touched.add(key);
            return target[key as string];
          },
        },
      );
      const scope: Scope = {
        input,
        locals: undefined,
        selected: {},
        outer: undefined,
        payload: NOT_DECODED,
      };
      for (const args of argsToTry) {
        if (args.length < fn.min || args.length > fn.max) continue;
        try {
          fn.call(args, scope);
        } catch {}
      }
      for (const key of touched) assert.ok(fn.reads?.includes(key), `${name}() reads ${key}`);
    }
    assert.deepEqual(FUNCTIONS.get('topic')!.reads, ['topic']);
  });
});
