// Every built-in function with examples: EMQX's documented ones where the docs give them
// (rule-sql-builtin-functions.md), else from EMQX's behaviour.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileRule, FUNCTIONS, SqlEvalError } from '../../src/sql/index.js';

const INPUT = { clientid: 'c_emqx', topic: 'sensors/d1/temp', payload: Buffer.from('{"x":1}') };

/** The value of `expr` selected AS r, for a fixed input. */
function value(expr: string): unknown {
  const [output] = compileRule(`SELECT ${expr} AS r FROM "t/#"`).evaluate(INPUT);
  return output!.r;
}

/** The message of the SqlEvalError that `expr` raises. */
function failure(expr: string): string {
  const rule = compileRule(`SELECT ${expr} AS r FROM "t/#"`);
  assert.throws(() => rule.evaluate(INPUT), SqlEvalError);
  try {
    rule.evaluate(INPUT);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

/** (expression, expected value); numbers within 1e-12. */
const examples: Record<string, [string, unknown][]> = {
  math: [
    ['abs(-12)', 12],
    ['abs(-1.2)', 1.2],
    ['cos(1.5)', 0.0707372016677029],
    ['cosh(1.5)', 2.352409615243247],
    ['acos(0.0707372016677029)', 1.5],
    ['acosh(2.352409615243247)', 1.5],
    ['sin(0.5)', 0.479425538604203],
    ['sinh(0.5)', 0.5210953054937474],
    ['asin(0.479425538604203)', 0.5],
    ['asinh(0.5210953054937474)', 0.5],
    ['tan(1.4)', 5.797883715482887],
    ['tanh(1.4)', 0.8853516482022625],
    ['atan(5.797883715482887)', 1.4],
    ['atanh(0.8853516482022625)', 1.4000000000000001],
    ['ceil(1.34)', 2],
    ['floor(1.34)', 1],
    ['round(1.34)', 1],
    ['round(1.54)', 2],
    ['round(-2.5)', -3],
    ['exp(10)', 22026.465794806718],
    ['power(2, 10)', 1024],
    ['sqrt(2)', Math.SQRT2], // EMQX docs: 1.4142135623730951
    ['fmod(-32, 5)', -2],
    ['log(exp(2))', 2],
    ['log10(1000)', 3],
    ['log2(1024)', 10],
    ['random() < 1 and random() >= 0', true],
  ],
  'type judgment': [
    ['is_null(undefined_field)', true],
    ['is_null(clientid)', false],
    ['is_not_null(1)', true],
    ["is_null(map_get('b', json_decode('{\"b\": null}')))", false],
    ["is_null_var(map_get('b', json_decode('{\"b\": null}')))", true],
    ['is_not_null_var(1)', true],
    ['is_str(1)', false],
    ["is_str('val')", true],
    ['is_str(payload)', true],
    ['is_bool(true)', true],
    ['is_int(1)', true],
    ['is_float(1)', false],
    ['is_float(1.234)', true],
    ['is_num(2.3)', true],
    ["is_num('val')", false],
    ['is_map(json_decode(\'{"value": 1}\'))', true],
    ['is_map(payload)', false],
    ['is_array([1, 2])', true],
    ["is_array('[1, 2]')", false],
    ["is_empty('{}')", true],
    ['is_empty([1])', false],
  ],
  conversion: [
    ['str(1234)', '1234'],
    ['str(3.14159265359)', '3.1415926536'],
    ['str(0.30000000040)', '0.3000000004'],
    ['str(true)', 'true'],
    ['str(json_decode(\'[{"msg": "hello"}]\'))', '[{"msg":"hello"}]'],
    ['str(payload)', '{"x":1}'],
    ['str_utf8(1234)', '1234'],
    ["bool('true')", true],
    ["bool('false')", false],
    ['bool(0)', false],
    ["int('1234')", 1234],
    ['int(3.14)', 3],
    ['int(-3.14)', -4],
    ["int('+200')", 200],
    ["int('3.1415e2')", 314],
    ['int(true)', 1],
    ["float('3.14')", 3.14],
    ["float('1.23456', 3)", 1.235],
    ['float2str(20.2, 10)', '20.2'],
    ['float2str(0.100001, 5)', '0.1'],
    ['map(\'{"a": 1}\')', { a: 1 }],
    ['int2hexstr(255)', 'FF'],
    ['coalesce(payload.nope, 0)', 0],
    ['coalesce(nope, also_nope)', null],
    ["coalesce_ne('', 'x')", 'x'],
  ],
  string: [
    ["lower('AbC')", 'abc'],
    ["upper('AbC')", 'ABC'],
    ["trim(' hello  ')", 'hello'],
    ["ltrim(' hello  ')", 'hello  '],
    ["rtrim(' hello  ')", ' hello'],
    ["reverse('hello')", 'olleh'],
    ["strlen('hello')", 5],
    ["substr('abcdef', 2)", 'cdef'],
    ["substr('abcdef', 2, 3)", 'cde'],
    ["substring('abcdef', 2, 3)", 'c'],
    ["split('a/b/ c', '/')", ['a', 'b', ' c']],
    ["split('a/b/ c', '/', 'leading')", ['a', 'b/ c']],
    ["split('a/b/ c', '/', 'trailing')", ['a/b', ' c']],
    ["split('a;;b;;c', ';', 'notrim')", ['a', '', 'b', '', 'c']],
    ["split(';a;b;c', ';', 'leading_notrim')", ['', 'a;b;c']],
    ["concat('Name:', 'John')", 'Name:John'],
    ["concat('a', 1, true)", 'a1true'],
    ["tokens('a,b;c,d', ',;')", ['a', 'b', 'c', 'd']],
    ["tokens(unescape('a b\\r\\nc'), ' ', 'nocrlf')", ['a', 'b', 'c']],
    ["sprintf('hello, ~s!', 'steve')", 'hello, steve!'],
    ["sprintf('~s=~p ~~', 'a', 'b')", 'a="b" ~'],
    ["pad('hello', 8)", 'hello   '],
    ["pad('hello', 8, 'leading')", '   hello'],
    ["pad('hello', 8, 'both')", ' hello  '],
    ["pad('hello', 8, 'trailing', 'abc')", 'helloabcabcabc'],
    ["replace('ab..cd..ef', '..', '**')", 'ab**cd**ef'],
    ["replace('ab..cd..ef', '..', '**', 'leading')", 'ab**cd..ef'],
    ["replace('ab..cd..ef', '..', '**', 'trailing')", 'ab..cd**ef'],
    ["regex_match('123', '^\\d+$')", true],
    ["regex_match('a123', '^\\d+$')", false],
    ["regex_replace('a;b; c', ';\\s*', ',')", 'a,b,c'],
    ["regex_replace('xaay', 'a+', '[&]')", 'x[aa]y'],
    ["regex_replace('2021-05', '(\\d+)-(\\d+)', '\\2/\\1')", '05/2021'],
    ["regex_extract('Date: 2021-05-20', '(\\d{4})-(\\d{2})-(\\d{2})')", ['2021', '05', '20']],
    ["regex_extract('No numbers here!', '(\\d+)')", []],
    ["ascii('abc')", 97],
    ["find('..., Value: 1.2', 'Value:')", 'Value: 1.2'],
    ["find('..., Value: 1.2', 'Data')", ''],
    ["find('Front, Middle, End', ', ', 'trailing')", ', End'],
    ["join_to_string(', ', ['a', 'b', 'c'])", 'a, b, c'],
    ['join_to_string([1, 2])', '1, 2'],
    ["trim(unescape('\\t  hello \\r\\n'))", 'hello'],
    ["unescape('\\x41\\u00e9')", 'Aé'],
    ["rm_prefix('foo/bar', 'foo/')", 'bar'],
  ],
  'map and array': [
    ["map_get('a', json_decode('{ \"a\" : 1 }'))", 1],
    ["map_get('b', json_decode('{ \"a\" : 1 }'), 2)", 2],
    ['map_get(\'a.b\', json_decode(\'{"a": {"b": 3}}\'))', 3],
    ["map_get('x', payload)", 1],
    ["map_get('a', map_put('a', 2, json_decode('{ \"a\" : 1 }')))", 2],
    ["map_put('a.b', 2, json_decode('{}'))", { a: { b: 2 } }],
    ["mget('a.b', json_decode('{\"a.b\": 1}'))", 1],
    ["mget(['a', 'b'], json_decode('{\"a\": {\"b\": 1}}'))", 1],
    ["mget(['a', 'b'], mput(['a', 'b'], 2, json_decode('{\"c\": 1}')))", 2],
    ['map_keys(json_decode(\'{"a": 1, "b": 2}\'))', ['a', 'b']],
    ['map_values(json_decode(\'{"a": 1, "b": 2}\'))', [1, 2]],
    ['map_to_entries(json_decode(\'{"a": 1}\'))', [{ key: 'a', value: 1 }]],
    ["map_from_entries([map_put('value', 1, map_put('key', 'a', json_decode('{}')))])", { a: 1 }],
    ["map_size(json_decode('{}'))", 0],
    ['nth(2, [1,2,3,4])', 2],
    ['length([1,2,3,4])', 4],
    ['sublist(3, [1,2,3,4])', [1, 2, 3]],
    ['sublist(1, 2, [1,2,3,4])', [1, 2]],
    ['sublist(2, 10, [1,2,3,4])', [2, 3, 4]],
    ['first([1,2,3,4])', 1],
    ['last([1,2,3,4])', 4],
    ['contains(2, [1,2,3,4])', true],
    ['contains(2.3, [1.8, 2.5, 2.0])', false],
    ['contains(json_decode(\'{"a": 1}\'), [json_decode(\'{"a": 1}\')])', true],
  ],
  'hash and codec': [
    ["md5('some val')", '1b68352b3e9c2de52ffd322e30bffcc4'],
    ["sha('some val')", 'f85ba28ff5ea84a0cbfa118319acb0c5e58ee2b9'],
    ["sha256('some val')", '67f97635d8a0e064f60ba6e8846a0ac0be664f18f0c1dc6445cd3542d2b71993'],
    ["base64_encode('some val')", 'c29tZSB2YWw='],
    ["base64_decode('c29tZSB2YWw=')", 'some val'],
    ["base64_encode('hello', 'no_padding', 'urlsafe')", 'aGVsbG8'],
    ["bin2hexstr(base64_decode('y0jN'))", 'CB48CD'],
    ["base64_encode(hexstr2bin('CB48CD'))", 'y0jN'],
    ['json_encode(json_decode( \'{ "a" : 1 }\' ))', '{"a":1}'],
    ['json_encode(payload)', '"{\\"x\\":1}"'],
    ['json_encode([1,2,3])', '[1,2,3]'],
    ["bin2hexstr('hello')", '68656C6C6F'],
    [
      "bin2hexstr(gzip('hello world'))",
      '1F8B0800000000000003CB48CDC9C95728CF2FCA49010085114A0D0B000000',
    ],
    [
      "gunzip(hexstr2bin('1F8B0800000000000003CB48CDC9C95728CF2FCA49010085114A0D0B000000'))",
      'hello world',
    ],
    ["bin2hexstr(zip('hello world'))", 'CB48CDC9C95728CF2FCA490100'],
    ["unzip(hexstr2bin('CB48CDC9C95728CF2FCA490100'))", 'hello world'],
    ["bin2hexstr(zip_compress('hello world'))", '789CCB48CDC9C95728CF2FCA4901001A0B045D'],
    ["zip_uncompress(hexstr2bin('789CCB48CDC9C95728CF2FCA4901001A0B045D'))", 'hello world'],
    ["subbits('abc', 8)", 97],
    ["subbits('abc', 9, 8)", 98],
    ["subbits('abc', 17, 8)", 99],
    ["subbits('abc', 9, 16, 'integer', 'signed', 'big')", 25187],
    ["subbits('abc', 9, 16, 'integer', 'signed', 'little')", 25442],
    ['bitand(-10, -8)', -16],
    ['bitor(-10, -8)', -2],
    ['bitxor(-10, -8)', 14],
    ['bitnot(10)', -11],
    ['bitsl(-8, 2)', -32],
    ['bitsr(-8, 6)', -1],
    ['strlen(uuid_v4())', 36],
    ['strlen(uuid_v4_no_hyphen())', 32],
  ],
  'date and time': [
    [
      "format_date('second', '+0800', '%Y-%m-%d %H:%M:%S%:z', 1653561612)",
      '2022-05-26 18:40:12+08:00',
    ],
    ["format_date('second', 0, '%Y-%m-%d %H:%M:%S%:z', 1653561612)", '2022-05-26 10:40:12+00:00'],
    [
      "format_date('millisecond', '+08:00', '%Y-%m-%d %H:%M:%S.%6N%z', 1708933353472)",
      '2024-02-26 15:42:33.472000+0800',
    ],
    [
      "format_date('millisecond', '+08:20:30', '%Y-%m-%d %H:%M:%S.%3N%::z', 1708933353472)",
      '2024-02-26 16:03:03.472+08:20:30',
    ],
    ["date_to_unix_ts('second', '%Y-%m-%d %H:%M:%S%:z', '2022-05-26 18:40:12+08:00')", 1653561612],
    [
      "date_to_unix_ts('second', '+08:00', '%Y-%m-%d %H:%M:%S%:z', '2024-02-23 15:00:00')",
      1708671600,
    ],
    ["date_to_unix_ts('second', 14400, '%Y-%m-%d %H:%M:%S', '2024-02-23 15:00:00')", 1708686000],
    ["rfc3339_to_unix_ts('2022-04-25T16:11:16+08:00')", 1650874276],
    ["rfc3339_to_unix_ts('2022-04-25T16:11:58.331+08:00', 'millisecond')", 1650874318331],
    ["rfc3339_to_unix_ts('2024-02-23T15:56:30Z')", 1708703790],
    ['rfc3339_to_unix_ts(unix_ts_to_rfc3339(1650874276))', 1650874276],
    [
      "rfc3339_to_unix_ts(unix_ts_to_rfc3339(1650874318331, 'millisecond'), 'millisecond')",
      1650874318331,
    ],
    ["timezone_to_offset_seconds('+08:00')", 28800],
    ["timezone_to_second('-0130')", -5400],
    ["is_int(now_timestamp('millisecond'))", true],
    ['abs(now_timestamp() - rfc3339_to_unix_ts(now_rfc3339())) <= 1', true],
  ],
  topic: [
    ['topic()', 'sensors/d1/temp'],
    ['topic(2)', 'd1'],
  ],
};

describe('built-in functions, with EMQX examples', () => {
  for (const [group, table] of Object.entries(examples)) {
    for (const [expr, expected] of table) {
      it(`${group}: ${expr}`, () => {
        const actual = value(expr);
        if (typeof expected === 'number' && !Number.isInteger(expected)) {
          assert.ok(Math.abs((actual as number) - expected) < 1e-12, `${actual} ≈ ${expected}`);
        } else {
          assert.deepEqual(actual, expected);
        }
      });
    }
  }

  it('every function has at least one example here', () => {
    const tried = Object.values(examples)
      .flat()
      .map(([expr]) => expr)
      .join(' ');
    const untried = [...FUNCTIONS.keys()].filter(
      (name) => !name.startsWith('$') && !new RegExp(`\\b${name}\\(`).test(tried),
    );
    assert.deepEqual(untried, []);
  });

  it('every function is documented in docs/RULES-SQL.md', () => {
    // Compiled to dist/test/sql/, so the repository is three levels up.
    const docs = readFileSync(new URL('../../../docs/RULES-SQL.md', import.meta.url), 'utf8');
    const undocumented = [...FUNCTIONS.keys()].filter(
      (name) => !name.startsWith('$') && !new RegExp(`\\b${name}\\b[^|]*\\(`).test(docs),
    );
    assert.deepEqual(undocumented, []);
  });

  it('binary results stay bytes: base64_decode of non-UTF-8 gives a Buffer', () => {
    assert.deepEqual(value("base64_decode('/w==')"), Buffer.from([0xff]));
  });

  it('bad arguments fail the evaluation with the function named', () => {
    assert.equal(
      failure('bool(20)'),
      'bool(): expected true, false, 1, 0 or their text, got number 20',
    );
    assert.equal(
      failure("int('Number 100')"),
      'int(): expected a number or numeric text, got string Number 100',
    );
    assert.equal(failure('nth(4, [1,2,3])'), 'nth(): no element 4 in 3');
    assert.equal(failure('first([])'), 'first(): no element 1 in 0');
    assert.equal(failure('sqrt(-1)'), 'sqrt(): no real result for -1');
    assert.equal(
      failure('upper(payload.nope)'),
      'upper(): expected a string, got undefined undefined',
    );
    assert.equal(failure("regex_match('a', '(')"), "regex_match(): invalid regular expression '('");
    assert.equal(failure("json_decode('{')"), 'json_decode(): not JSON: {');
    assert.equal(
      failure("split('a', '/', 'sideways')"),
      "split(): expected 'all' or 'notrim' or 'leading' or 'leading_notrim' or 'trailing' or 'trailing_notrim', got string sideways",
    );
    assert.equal(
      failure("gunzip('not gzip')"),
      'gunzip(): cannot decompress: incorrect header check',
    );
    assert.equal(failure("hexstr2bin('xyz')"), "hexstr2bin(): not a hex string 'xyz'");
    assert.equal(
      failure("date_to_unix_ts('second', '%Y', 'abc')"),
      "date_to_unix_ts(): 'abc' does not match '%Y'",
    );
  });

  it('sizes taken from a payload are bounded', () => {
    assert.equal(failure("pad('a', 5000000)"), 'pad(): would build more than 1048576 characters');
    assert.equal(
      failure("replace(pad('', 2000, 'trailing', ','), ',', pad('', 1000))"),
      'replace(): would build more than 1048576 characters',
    );
  });
});
