// Bad SQL is refused when the rule is compiled, with the line, column and what was expected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRule, SqlSyntaxError } from '../../src/sql/index.js';

/** (sql, exact message, offset). */
const table: [string, string, number][] = [
  ['', 'line 1, column 1: expected SELECT or FOREACH, found end of input', 0],
  ['SELEC a FROM "t"', "line 1, column 1: expected SELECT or FOREACH, found 'SELEC'", 0],
  ['SELECT FROM "t"', "line 1, column 8: expected an expression, found 'FROM'", 7],
  ['SELECT a', 'line 1, column 9: expected FROM, found end of input', 8],
  [
    'SELECT a FROM "t" WHER x',
    "line 1, column 19: expected WHERE or end of input, found 'WHER'",
    18,
  ],
  [
    "SELECT a FROM 't'",
    "line 1, column 15: expected a topic filter or event in double quotes, found ''t''",
    14,
  ],
  ['SELECT a FROM "t" WHERE', 'line 1, column 24: expected an expression, found end of input', 23],
  ['SELECT a,\n  b c FROM "t"', "line 2, column 5: expected FROM, found 'c'", 14],
  [
    'SELECT a\nFROM "t"\nWHERE a = b = c',
    "line 3, column 13: expected AND or OR between comparisons (they do not chain), found '='",
    30,
  ],
  [
    'SELECT upper() FROM "t"',
    'line 1, column 8: expected 1 argument to upper(), found 0 arguments',
    7,
  ],
  [
    'SELECT sublist(1) FROM "t"',
    'line 1, column 8: expected 2 to 3 arguments to sublist(), found 1 argument',
    7,
  ],
  ['SELECT nope(1) FROM "t"', "line 1, column 8: expected a known function, found 'nope'", 7],
  [
    'SELECT \'abc FROM "t"',
    "line 1, column 8: expected ' to close the string, found end of input",
    7,
  ],
  ['SELECT (a FROM "t"', "line 1, column 11: expected ')', found 'FROM'", 10],
  ['SELECT a AS FROM "t"', "line 1, column 13: expected an alias, found 'FROM'", 12],
  [
    'SELECT CASE WHEN a THEN 1 FROM "t"',
    "line 1, column 27: expected WHEN, ELSE or END, found 'FROM'",
    26,
  ],
  ['SELECT CASE a END FROM "t"', "line 1, column 15: expected WHEN, found 'END'", 14],
  ['SELECT CASE WHEN a 1 END FROM "t"', "line 1, column 20: expected THEN, found '1'", 19],
  ['FOREACH * FROM "t"', "line 1, column 9: expected an expression, found '*'", 8],
  ['FOREACH a DO FROM "t"', "line 1, column 14: expected an expression, found 'FROM'", 13],
  ['SELECT a FROM "t" WHERE a NOT 1', "line 1, column 27: expected end of input, found 'NOT'", 26],
  ['SELECT a FROM "t" WHERE a NOT IN 1', "line 1, column 34: expected '(', found '1'", 33],
  ['SELECT a[1 FROM "t"', "line 1, column 12: expected ']', found 'FROM'", 11],
  ['SELECT 1abc FROM "t"', "line 1, column 9: expected a number, found '1a'", 8],
  ['SELECT a ; FROM "t"', "line 1, column 10: expected an expression, found ';'", 9],
  ['SELECT a FROM ""', 'line 1, column 15: expected a valid topic filter, found \'""\'', 14],
  [
    'SELECT a FROM "t/#/x"',
    'line 1, column 15: expected a valid topic filter, found \'"t/#/x"\'',
    14,
  ],
  [
    'SELECT a FROM "t", "$events/nope"',
    'line 1, column 20: expected one of the events client_connected, client_disconnected, client_connack, client_check_authn_complete, client_check_authz_complete, session_subscribed, session_unsubscribed, message_delivered, message_acked, message_dropped, delivery_dropped, found \'"$events/nope"\'',
    19,
  ],
  [
    'SELECT a FROM "$bridges/kafka:x"',
    'line 1, column 15: expected "$bridges/mqtt:<connector name>", found \'"$bridges/kafka:x"\'',
    14,
  ],
  [
    'SELECT a FROM "t", ',
    'line 1, column 20: expected a topic filter or event in double quotes, found end of input',
    19,
  ],
  ['SELECT payload.[1] FROM "t"', "line 1, column 16: expected a key, found '['", 15],
];

describe('bad SQL gives a positioned SqlSyntaxError', () => {
  for (const [sql, message, offset] of table) {
    it(`${JSON.stringify(sql)} → ${message}`, () => {
      assert.throws(
        () => compileRule(sql),
        (error: unknown) => {
          assert.ok(error instanceof SqlSyntaxError);
          assert.equal(error.message, message);
          assert.equal(error.offset, offset);
          assert.match(
            message,
            new RegExp(`^line ${error.line}, column ${error.column}: expected `),
          );
          assert.equal(message.split(': expected ')[1]!.startsWith(error.expected), true);
          return true;
        },
      );
    });
  }

  it('accepts keywords in any case and keys named like keywords after a dot', () => {
    const rule = compileRule('select payload.from as f from "t" where f = 1');
    assert.deepEqual(rule.evaluate({ payload: '{"from":1}' }), [{ f: 1 }]);
  });

  it('has no -- comments (EMQX has none): --1 is minus minus one', () => {
    const rule = compileRule('SELECT --1 AS one FROM "t"');
    assert.deepEqual(rule.evaluate({}), [{ one: 1 }]);
  });
});
