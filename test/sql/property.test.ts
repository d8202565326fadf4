// Generated SQL and inputs: the compiler and the evaluator throw nothing but their own errors,
// and integer arithmetic, keyword case and spacing do not change a result.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileRule, FUNCTIONS, SqlEvalError, SqlSyntaxError } from '../../src/sql/index.js';

const TIME_LIMIT_MS = 5000;

const leaf = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => (d < 0 ? `(${d})` : String(d))),
  fc.constantFrom("'a'", "'10'", "''", '"x/y"', 'true', 'false', 'null', '[1, 2]', '[1..3]'),
  fc.constantFrom('clientid', 'topic', 'qos', 'payload', 'nope', 'payload.a', 'payload.b[1]'),
  fc.constantFrom('payload.b[-1]', "payload.'c d'", 'payload.a.x', 'flags.retain'),
);

const BINARY = ['+', '-', '*', '/', 'div', 'mod', '=', '!=', '<>', '<', '<=', '>', '>=', '=~'];
const names = [...FUNCTIONS.entries()].filter(([name]) => !name.startsWith('$'));

/** Expressions of the dialect, fully parenthesised. */
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(tie('expr'), fc.constantFrom(...BINARY, 'AND', 'OR'), tie('expr'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('expr').map((a) => `(NOT ${a})`),
    tie('expr').map((a) => `(-${a})`),
    fc
      .tuple(fc.constantFrom(...names), fc.array(tie('expr'), { maxLength: 3 }))
      .map(([[name, fn], args]) => `${name}(${args.slice(0, fn.max).join(', ')})`),
    fc
      .tuple(tie('expr'), tie('expr'), tie('expr'))
      .map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
    fc
      .tuple(tie('expr'), fc.array(tie('expr'), { minLength: 1, maxLength: 3 }))
      .map(([a, list]) => `(${a} IN (${list.join(', ')}))`),
  ),
}));

const payload = fc.oneof(fc.json(), fc.constant('{"a":1,"b":[1,2,3],"c d":"x"}'), fc.string());

const ownError = (error: unknown) =>
  error instanceof SqlSyntaxError || error instanceof SqlEvalError;

describe('generated rules (fast-check)', () => {
  it('compile or fail with SqlSyntaxError; evaluate or fail with SqlEvalError', () => {
    fc.assert(
      fc.property(expr, expr, payload, (select, where, body) => {
        let rule: ReturnType<typeof compileRule>;
        try {
          rule = compileRule(`SELECT ${select} AS r FROM "t/#" WHERE ${where}`);
        } catch (error) {
          // Generated calls may have too few arguments: the one compile error expected here.
          return error instanceof SqlSyntaxError && error.expected.includes('argument');
        }
        try {
          const outputs = rule.evaluate({ clientid: 'c', topic: 't/a', qos: 1, payload: body });
          return Array.isArray(outputs) && outputs.length <= 1;
        } catch (error) {
          return error instanceof SqlEvalError;
        }
      }),
      { numRuns: 2000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('arbitrary text never throws anything but SqlSyntaxError from compileRule', () => {
    const pieces = fc.constantFrom(
      'SELECT',
      'FOREACH',
      'DO',
      'INCASE',
      'FROM',
      'WHERE',
      'AS',
      'CASE',
      'WHEN',
      'THEN',
      'END',
      '"t/#"',
      "'s'",
      '(',
      ')',
      '[',
      ']',
      '..',
      ',',
      '.',
      '*',
      '=~',
      '1',
      'a',
      'upper',
      'NOT',
      'IN',
    );
    const text = fc.oneof(
      fc.string(),
      fc.array(pieces, { maxLength: 12 }).map((p) => p.join(' ')),
    );
    fc.assert(
      fc.property(text, (sql) => {
        try {
          compileRule(sql);
          return true;
        } catch (error) {
          return (
            error instanceof SqlSyntaxError &&
            /^line \d+, column \d+: expected /.test(error.message)
          );
        }
      }),
      { numRuns: 3000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('integer arithmetic gives what JavaScript computes (div, mod truncate)', () => {
    type Arith = { text: string; value: number };
    const { arith } = fc.letrec<{ arith: Arith }>((tie) => ({
      arith: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: -50, max: 50 }).map((n) => ({ text: `(${n})`, value: n })),
        fc
          .tuple(tie('arith'), fc.constantFrom('+', '-', '*', 'div', 'mod'), tie('arith'))
          .filter(([, op, b]) => (op !== 'div' && op !== 'mod') || b.value !== 0)
          .map(([a, op, b]) => ({
            text: `(${a.text} ${op} ${b.text})`,
            value:
              op === '+'
                ? a.value + b.value
                : op === '-'
                  ? a.value - b.value
                  : op === '*'
                    ? a.value * b.value
                    : op === 'div'
                      ? Math.trunc(a.value / b.value)
                      : a.value % b.value,
          })),
      ),
    }));
    fc.assert(
      fc.property(arith, ({ text, value }) => {
        const [out] = compileRule(`SELECT ${text} AS r FROM "t"`).evaluate({});
        return Object.is(out!.r, value) || out!.r === value;
      }),
      { numRuns: 1000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('keyword case, spacing and newlines do not change a rule', () => {
    fc.assert(
      fc.property(expr, fc.boolean(), payload, (e, upper, body) => {
        const sql = `SELECT ${e} AS r FROM "t/#"`;
        // Spaces and keywords outside quotes only: the generated quoted texts hold no keyword.
        const respaced = sql
          .split(/('[^']*'|"[^"]*")/)
          .map((part, i) => (i % 2 === 1 ? part : part.replace(/ /g, upper ? '\n  ' : '\t')))
          .join('');
        const keywords = /\b(SELECT|AS|FROM|CASE|WHEN|THEN|ELSE|END|AND|OR|NOT|IN|true|false)\b/g;
        const recased = respaced.replace(keywords, (w) =>
          upper ? w.toUpperCase() : w.toLowerCase(),
        );
        const outcome = (text: string) => {
          try {
            return JSON.stringify(compileRule(text).evaluate({ topic: 't/a', payload: body }));
          } catch (error) {
            assert.ok(ownError(error), String(error));
            return (error as Error).name;
          }
        };
        const first = outcome(sql);
        // Results from random() or uuid_v4() differ from run to run: compare only the rest.
        if (/random|uuid|now_/.test(e)) return true;
        return first === outcome(recased);
      }),
      { numRuns: 1000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });
});
