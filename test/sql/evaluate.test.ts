// The evaluator's semantics: EMQX's comparisons, arithmetic, missing fields, paths into
// JSON payloads, aliases, nested outputs, CASE, IN, FOREACH.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { compileRule, type RuleInput, SqlEvalError } from '../../src/sql/index.js';

const run = (sql: string, input: RuleInput) => compileRule(sql).evaluate(input);
const value = (expr: string, payload = '{}') =>
  run(`SELECT ${expr} AS r FROM "t/#"`, { payload: Buffer.from(payload), topic: 't/a' })[0]!.r;
const passes = (where: string, payload: string) =>
  run(`SELECT 1 AS r FROM "t/#" WHERE ${where}`, { payload }).length === 1;
const failure = (expr: string, payload = '{}') => {
  try {
    value(expr, payload);
  } catch (error) {
    assert.ok(error instanceof SqlEvalError, String(error));
    return error.message;
  }
  assert.fail(`${expr} did not fail`);
};

describe('comparisons follow EMQX', () => {
  it('a missing field equals nothing but a missing field, and orders with nothing', () => {
    assert.equal(passes('payload.nope = 1', '{}'), false);
    assert.equal(passes('nope = also_nope', '{}'), true);
    assert.equal(passes('payload.nope != 1', '{}'), true);
    assert.equal(passes('payload.nope > 1', '{}'), false);
    assert.equal(passes('payload.nope < 1', '{}'), false);
    assert.equal(passes('payload.nope >= 1', '{}'), false);
    assert.equal(passes('payload.nope <= 1', '{}'), false);
  });

  it('numeric text compares as a number with a number; other text fails the rule', () => {
    assert.equal(passes('payload.s > 10', '{"s":"20"}'), true);
    assert.equal(passes('payload.s = 20', '{"s":"20.0"}'), true);
    assert.throws(
      () => run('SELECT 1 FROM "t" WHERE payload.s > 10', { payload: '{"s":"abc"}' }),
      /cannot compare string abc with number 10/,
    );
    assert.equal(passes("payload.s = 'abc'", '{"s":"abc"}'), true);
    assert.equal(passes("'b' > 'a'", '{}'), true);
  });

  it('a boolean equals its text; 1 = 1.0; <> is !=', () => {
    assert.equal(passes("payload.b = 'true'", '{"b":true}'), true);
    assert.equal(value('1 = 1.0'), true);
    assert.equal(value('1 <> 2'), true);
    assert.equal(value("payload = '{}'"), true);
  });

  it('=~ matches a topic against a filter by src/topic rules: # skips $ topics [MQTT-4.7.2-1]', () => {
    assert.equal(value("'sensors/d1/temp' =~ 'sensors/+/temp'"), true);
    assert.equal(value("'sensors/d1/x/temp' =~ 'sensors/+/temp'"), false);
    assert.equal(value("'$SYS/x' =~ '#'"), false); // [MQTT-4.7.2-1]
    assert.equal(value("topic =~ 't/#'"), true);
    assert.equal(value("nope =~ 't/#'"), false);
  });

  it('IN and NOT IN compare exactly; maps deeply', () => {
    assert.equal(value("'b' IN ('a', 'b')"), true);
    assert.equal(value("'z' NOT IN ('a', 'b')"), true);
    assert.equal(value("'1' IN (1, 2)"), false);
    assert.equal(value('payload.m IN (json_decode(\'{"a":[1]}\'))', '{"m":{"a":[1]}}'), true);
  });

  it('AND, OR, NOT hold only for true', () => {
    assert.equal(value('1 AND true'), false);
    assert.equal(value('nope OR true'), true);
    assert.equal(value('NOT 5'), false);
    assert.equal(value('NOT false'), true);
    assert.equal(value('NOT (1 = 2)'), true);
    assert.equal(value('true OR false AND false'), true); // AND binds tighter
  });
});

describe('arithmetic follows EMQX', () => {
  it('numbers, integer div and mod (truncating), / always divides', () => {
    assert.equal(value('7 / 2'), 3.5);
    assert.equal(value('7 div 2'), 3);
    assert.equal(value('-7 div 2'), -3);
    assert.equal(value('-7 mod 2'), -1);
    assert.equal(value('2 + 3 * 4 - 1'), 13);
    assert.equal(value('(2 + 3) * 4'), 20);
    assert.equal(value('-payload.x', '{"x":3}'), -3);
  });

  it('+ with text on either side concatenates', () => {
    assert.equal(value("'a' + 1"), 'a1');
    assert.equal(value("1.5 + 'a'"), '1.5a');
    assert.equal(value("clientid + '/' + topic"), 'undefined/t/a');
  });

  it('bad arithmetic fails the evaluation with a clear message', () => {
    assert.equal(failure('1 / 0'), 'division by zero');
    assert.equal(failure('7 div 0'), 'division by zero');
    assert.equal(failure("1 - 'a'"), 'bad arithmetic: number 1 - string a');
    assert.equal(failure('payload.nope + 1'), 'bad arithmetic: undefined undefined + number 1');
    assert.equal(failure('1.5 div 1'), 'bad arithmetic: number 1.5 div number 1');
  });
});

describe('fields, paths and aliases', () => {
  const input = {
    clientid: 'c1',
    payload: Buffer.from('{"a":{"b":[10,20,30,40]},"k-1":"dash","n":null}'),
    pub_props: { 'User-Property': { foo: 'bar' } },
  };

  it('payload.x reads a JSON payload; paths index from 1, negative from the end, ranges', () => {
    const [out] = run(
      `SELECT payload.a.b[1] AS f, payload.a.b[-1] AS l, payload.a.b[9] AS none,
              payload.a.b[2..3] AS mid, payload.a.b[2..-1] AS tail, payload.'k-1' AS dash,
              payload."k-1" AS dash2, payload['k-1'] AS dash3, payload.n AS n,
              [1..3] AS range, ['x', 1 + 1] AS list
       FROM "t/#"`,
      input,
    );
    assert.deepEqual(out, {
      f: 10,
      l: 40,
      mid: [20, 30],
      tail: [20, 30, 40],
      dash: 'dash',
      dash2: 'dash',
      dash3: 'dash',
      n: null,
      range: [1, 2, 3],
      list: ['x', 2],
    });
  });

  it('unaliased paths nest in the output; other expressions are keyed by their text', () => {
    const [out] = run(
      'SELECT payload.a.b[1], payload.a, clientid, upper(clientid) FROM "t"',
      input,
    );
    assert.deepEqual(out, {
      'payload.a.b[1]': 10,
      payload: { a: { b: [10, 20, 30, 40] } },
      clientid: 'c1',
      'upper(clientid)': 'C1',
    });
  });

  it('AS a.b builds nested maps; later fields and WHERE see earlier aliases', () => {
    const sql = `SELECT payload.a.b[2] AS x.y, x.y * 2 AS z, 'q' AS 'with space'
                 FROM "t" WHERE z = 40 AND x.y = 20`;
    assert.deepEqual(run(sql, input), [{ x: { y: 20 }, z: 40, 'with space': 'q' }]);
  });

  it('a bare name in a later field reads what an earlier field selected under it, else the input', () => {
    const row = { clientid: 'c1', qos: 1 };
    assert.deepEqual(run('SELECT qos + 1 AS clientid, clientid AS c FROM "t"', row), [
      { clientid: 2, c: 2 },
    ]);
    assert.deepEqual(run('SELECT clientid AS c, clientid FROM "t"', row), [
      { c: 'c1', clientid: 'c1' },
    ]);
    assert.deepEqual(run('SELECT *, 5 AS qos, qos AS q FROM "t"', row), [
      { clientid: 'c1', qos: 5, q: 5 },
    ]);
    assert.deepEqual(run('SELECT constructor, toString AS t FROM "t"', row), [{}]);
  });

  it('WHERE still reads the payload when SELECT put a payload map of its own', () => {
    const sql = "SELECT payload.a FROM \"t\" WHERE payload.'k-1' = 'dash'";
    assert.equal(run(sql, input).length, 1);
  });

  it('a payload that is not JSON reads as missing fields, and as itself', () => {
    const raw = { payload: 'not json' };
    assert.deepEqual(run('SELECT payload.x AS x, payload FROM "t"', raw), [
      { payload: 'not json' },
    ]);
  });

  it('a missing field is left out of the output', () => {
    assert.deepEqual(run('SELECT nope, payload.nope AS x, 1 AS one FROM "t"', input), [{ one: 1 }]);
  });

  it('pub_props with quoted keys; names are case-sensitive, keywords are not', () => {
    assert.deepEqual(run(`SELECT pub_props.'User-Property'.foo AS foo FROM "t"`, input), [
      { foo: 'bar' },
    ]);
    assert.deepEqual(run('select CLIENTID as c from "t"', input), [{}]);
  });

  it('a field named like an Object.prototype member is missing, not the prototype', () => {
    assert.deepEqual(run('SELECT constructor, payload.__proto__ AS p FROM "t"', input), [{}]);
    const [out] = run('SELECT 1 AS __proto__, \'x\' AS a.__proto__ FROM "t"', {});
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out!), ['__proto__', 'a']);
  });

  it('decodes the payload once per evaluation however many paths read it', () => {
    let reads = 0;
    const payload = Buffer.from('{"a":1,"b":2}');
    const counting = new Proxy(payload, {
      get(target, key) {
        if (key === 'toString') reads++;
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const rule = compileRule('SELECT payload.a AS a, payload.b AS b FROM "t" WHERE payload.a = 1');
    assert.deepEqual(rule.evaluate({ payload: counting as Buffer }), [{ a: 1, b: 2 }]);
    assert.equal(reads, 1);
  });
});

describe('CASE', () => {
  it('CASE WHEN conditions in order, ELSE, none → missing', () => {
    const sql = `SELECT CASE WHEN payload.x < 0 THEN 'neg' WHEN payload.x = 0 THEN 'zero' END AS s FROM "t"`;
    assert.deepEqual(run(sql, { payload: '{"x":-1}' }), [{ s: 'neg' }]);
    assert.deepEqual(run(sql, { payload: '{"x":0}' }), [{ s: 'zero' }]);
    assert.deepEqual(run(sql, { payload: '{"x":1}' }), [{}]);
  });

  it('CASE expr WHEN value compares with =', () => {
    const sql = `SELECT CASE payload.k WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END AS n FROM "t"`;
    assert.deepEqual(run(sql, { payload: '{"k":"b"}' }), [{ n: 2 }]);
    assert.deepEqual(run(sql, { payload: '{"k":"c"}' }), [{ n: 0 }]);
  });
});

describe('FOREACH', () => {
  const payload = '{"items":[{"id":1,"v":2},{"id":2,"v":0},{"id":3,"v":5}],"x":5}';

  it('one output per element passing INCASE; WHERE sees the FOREACH fields', () => {
    const sql =
      'FOREACH payload.items AS i DO i.id AS id, clientid INCASE i.v > 1 FROM "t" WHERE length(i) = 3';
    assert.deepEqual(run(sql, { payload, clientid: 'c' }), [
      { id: 1, clientid: 'c' },
      { id: 3, clientid: 'c' },
    ]);
    const never = 'FOREACH payload.items AS i DO i.id AS id FROM "t" WHERE payload.x = 6';
    assert.deepEqual(run(never, { payload }), []);
  });

  it('without DO each element is an output; a non-map element comes as {item}', () => {
    assert.deepEqual(run('FOREACH [1, 2] FROM "t"', {}), [{ item: 1 }, { item: 2 }]);
    assert.deepEqual(run('FOREACH [1, 2] AS n FROM "t"', {}), [{ n: 1 }, { n: 2 }]);
  });

  it('DO may read what FOREACH selected before the collection', () => {
    const sql = 'FOREACH \'k\' AS key, payload.items AS i DO key + i.id AS tag FROM "t"';
    assert.deepEqual(run(sql, { payload }), [{ tag: 'k1' }, { tag: 'k2' }, { tag: 'k3' }]);
  });

  it('a JSON null in an element is null, not missing', () => {
    const sql = 'FOREACH payload.items AS i DO i.v AS v FROM "t"';
    assert.deepEqual(run(sql, { payload: '{"items":[{"v":null}]}' }), [{ v: null }]);
  });

  it('over something not an array yields nothing; over too many elements fails', () => {
    assert.deepEqual(run('FOREACH payload.x FROM "t"', { payload }), []);
    const big = JSON.stringify({ a: Array.from({ length: 1001 }, (_, i) => i) });
    assert.throws(
      () => run('FOREACH payload.a FROM "t"', { payload: big }),
      /FOREACH over 1001 elements \(at most 1000\)/,
    );
  });
});

describe('evaluate', () => {
  it('wraps any other exception as SqlEvalError and keeps working', () => {
    const rule = compileRule('SELECT power(payload.x, 2) AS p FROM "t"');
    assert.throws(() => rule.evaluate({ payload: '{"x":1e300}' }), SqlEvalError);
    assert.deepEqual(rule.evaluate({ payload: '{"x":3}' }), [{ p: 9 }]);
  });

  it('folds functions of constants once, never those of time or chance', () => {
    const rule = compileRule('SELECT upper(\'a\') AS u, uuid_v4() AS id FROM "t"');
    const [a] = rule.evaluate({});
    const [b] = rule.evaluate({});
    assert.equal(a!.u, 'A');
    assert.notEqual(a!.id, b!.id);
  });
});
