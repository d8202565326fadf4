// EMQX's documented example rules (rule-sql-syntax.md, rule-sql-builtin-functions.md of
// emqx/emqx-docs), parsed and evaluated with the outputs those pages give.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { compileRule, type RuleInput } from '../../src/sql/index.js';

/** A message as the rule engine hands it over: payload as raw bytes. */
function message(payload: string, fields: Record<string, unknown> = {}): RuleInput {
  return {
    id: '0005F8F84FFFAFB9F44200000BAE0002',
    clientid: 'c_emqx',
    username: 'u_emqx',
    topic: 't/a',
    qos: 1,
    flags: { retain: false, dup: false },
    payload: Buffer.from(payload),
    peerhost: '127.0.0.1',
    timestamp: 1650874276000,
    publish_received_at: 1650874276000,
    node: 'culex@127.0.0.1',
    ...fields,
  };
}

interface Example {
  sql: string;
  sources: string[];
  input: RuleInput;
  outputs: Record<string, unknown>[];
}

const SENSORS = '{"sensors":[{"idx":0,"name":"t0"},{"idx":1,"name":"t1"},{"idx":2,"name":"t2"}]}';
const STEVE =
  '{"date":"2020-04-24","sensors":[{"name":"a","idx":0},{"name":"b","idx":1},{"name":"c","idx":2}]}';

const examples: Example[] = [
  {
    sql: 'SELECT clientid, payload.clientid as myclientid FROM "t/#", "my/other/topic"',
    sources: ['t/#', 'my/other/topic'],
    input: message('{"clientid":"inner"}'),
    outputs: [{ clientid: 'c_emqx', myclientid: 'inner' }],
  },
  {
    sql: `SELECT peername as ip_port FROM "$events/client_connected" WHERE clientid = 'c1'`,
    sources: ['$events/client_connected'],
    input: { event: 'client.connected', clientid: 'c1', peername: '127.0.0.1:50000' },
    outputs: [{ ip_port: '127.0.0.1:50000' }],
  },
  {
    sql: `SELECT peername as ip_port FROM "$events/client_connected" WHERE clientid = 'c1'`,
    sources: ['$events/client_connected'],
    input: { event: 'client.connected', clientid: 'c2', peername: '127.0.0.1:50000' },
    outputs: [],
  },
  {
    sql: `SELECT (upper(clientid) + '_UPPERCASE_LETTERS') as cid FROM "t/#"`,
    sources: ['t/#'],
    input: message('{}'),
    outputs: [{ cid: 'C_EMQX_UPPERCASE_LETTERS' }],
  },
  {
    sql: 'SELECT (payload.integer_field + 2) * 2 as num FROM "t/#"',
    sources: ['t/#'],
    input: message('{"integer_field":3}'),
    outputs: [{ num: 10 }],
  },
  {
    sql: 'SELECT payload.a.b.c.deep as my_field FROM "t/#"',
    sources: ['t/#'],
    input: message('{"a":{"b":{"c":{"deep":"x"}}}}'),
    outputs: [{ my_field: 'x' }],
  },
  {
    sql: `SELECT * FROM "t/#" WHERE payload.name = "sensor_1" and payload.temprature > 39`,
    sources: ['t/#'],
    input: message('{"name":"sensor_1","temprature":40}'),
    outputs: [message('{"name":"sensor_1","temprature":40}')],
  },
  {
    sql: `SELECT * FROM "t/#" WHERE payload.name = "sensor_1" and payload.temprature > 39`,
    sources: ['t/#'],
    input: message('{"name":"sensor_1","temprature":39}'),
    outputs: [],
  },
  {
    sql: 'SELECT qos, username, clientid FROM "t/#"',
    sources: ['t/#'],
    input: message('{}'),
    outputs: [{ qos: 1, username: 'u_emqx', clientid: 'c_emqx' }],
  },
  {
    sql: `SELECT username FROM "#" WHERE username='Steven'`,
    sources: ['#'],
    input: message('{}', { username: 'Steven' }),
    outputs: [{ username: 'Steven' }],
  },
  {
    sql: 'SELECT payload.x as y FROM "tests/test_topic_1" WHERE y = 1',
    sources: ['tests/test_topic_1'],
    input: message('{"x":1}'),
    outputs: [{ y: 1 }],
  },
  {
    sql: 'SELECT payload.x as y FROM "tests/test_topic_1" WHERE y = 1',
    sources: ['tests/test_topic_1'],
    input: message('{"x":2}'),
    outputs: [],
  },
  {
    sql: 'SELECT * FROM "#" WHERE payload.x.y = 1',
    sources: ['#'],
    input: message('{"x":{"y":1},"other":"field"}'),
    outputs: [message('{"x":{"y":1},"other":"field"}')],
  },
  {
    sql: `SELECT clientid FROM "$events/session_subscribed" WHERE topic = 'my/topic' and qos = 1`,
    sources: ['$events/session_subscribed'],
    input: { clientid: 'c1', topic: 'my/topic', qos: 1 },
    outputs: [{ clientid: 'c1' }],
  },
  {
    sql: `SELECT clientid FROM "$events/session_subscribed" WHERE topic =~ 't/#' and qos = 1`,
    sources: ['$events/session_subscribed'],
    input: { clientid: 'c1', topic: 't/x/y', qos: 1 },
    outputs: [{ clientid: 'c1' }],
  },
  {
    sql: `SELECT clientid FROM "$events/session_subscribed" WHERE topic =~ 't/#' and qos = 1`,
    sources: ['$events/session_subscribed'],
    input: { clientid: 'c1', topic: 'u/x', qos: 1 },
    outputs: [],
  },
  {
    sql: `SELECT pub_props.'User-Property'.foo as foo FROM "t/#"`,
    sources: ['t/#'],
    input: message('{}', { pub_props: { 'User-Property': { foo: 'bar' } } }),
    outputs: [{ foo: 'bar' }],
  },
  {
    sql: 'SELECT CASE WHEN payload.x < 0 THEN 0 WHEN payload.x > 7 THEN 7 ELSE payload.x END as x FROM "t/#"',
    sources: ['t/#'],
    input: message('{"x":8}'),
    outputs: [{ x: 7 }],
  },
  {
    sql: 'SELECT CASE WHEN payload.x < 0 THEN 0 WHEN payload.x > 7 THEN 7 ELSE payload.x END as x FROM "t/#"',
    sources: ['t/#'],
    input: message('{"x":-3}'),
    outputs: [{ x: 0 }],
  },
  {
    sql: `FOREACH payload.sensors as sensor
          DO timestamp, clientid, upper(sensor.name) as name, sensor.idx as idx
          INCASE sensor.idx >= 1
          FROM "t/#"`,
    sources: ['t/#'],
    input: message(SENSORS),
    outputs: [
      { timestamp: 1650874276000, clientid: 'c_emqx', name: 'T1', idx: 1 },
      { timestamp: 1650874276000, clientid: 'c_emqx', name: 'T2', idx: 2 },
    ],
  },
  {
    // Without DO each element is an output: the docs' `sensors/${idx}` template reads it.
    sql: 'FOREACH payload.sensors FROM "t/#"',
    sources: ['t/#'],
    input: message(STEVE, { clientid: 'c_steve' }),
    outputs: [
      { name: 'a', idx: 0 },
      { name: 'b', idx: 1 },
      { name: 'c', idx: 2 },
    ],
  },
  {
    sql: 'FOREACH payload.sensors DO clientid, item.name as name, item.idx as idx INCASE item.idx >= 1 FROM "t/#"',
    sources: ['t/#'],
    input: message(STEVE, { clientid: 'c_steve' }),
    outputs: [
      { clientid: 'c_steve', name: 'b', idx: 1 },
      { clientid: 'c_steve', name: 'c', idx: 2 },
    ],
  },
  {
    sql: 'FOREACH payload.sensors as s DO clientid, s.name as name, s.idx as idx INCASE s.idx >= 1 FROM "t/#"',
    sources: ['t/#'],
    input: message(STEVE, { clientid: 'c_steve' }),
    outputs: [
      { clientid: 'c_steve', name: 'b', idx: 1 },
      { clientid: 'c_steve', name: 'c', idx: 2 },
    ],
  },
  {
    sql: `FOREACH payload.sensors as s
          DO nth(2, tokens(clientid,'_')) as clientid, s.name as name, s.idx as idx
          INCASE s.idx >= 1 FROM "t/#"`,
    sources: ['t/#'],
    input: message(STEVE, { clientid: 'c_steve' }),
    outputs: [
      { clientid: 'steve', name: 'b', idx: 1 },
      { clientid: 'steve', name: 'c', idx: 2 },
    ],
  },
  {
    sql: 'FOREACH payload.data as d, d.sensors as s DO s.name as name INCASE s.idx >= 1 FROM "t/#"',
    sources: ['t/#'],
    input: message('{"data":{"sensors":[{"name":"a","idx":0},{"name":"b","idx":1}]}}'),
    outputs: [{ name: 'b' }],
  },
  // The issue's own example (issue 14, Deliver 1).
  {
    sql: `SELECT payload.temp AS t, clientid, topic FROM "sensors/#", "$events/client_connected"
          WHERE t > 30 AND topic =~ 'sensors/+/temp'`,
    sources: ['sensors/#', '$events/client_connected'],
    input: message('{"temp":31.5}', { topic: 'sensors/d1/temp' }),
    outputs: [{ t: 31.5, clientid: 'c_emqx', topic: 'sensors/d1/temp' }],
  },
  {
    sql: 'FOREACH payload.items AS i DO i.id INCASE i.v > 1 FROM "$bridges/mqtt:remote"',
    sources: ['$bridges/mqtt:remote'],
    input: message('{"items":[{"id":"a","v":2},{"id":"b","v":1},{"id":"c","v":5}]}'),
    outputs: [{ i: { id: 'a' } }, { i: { id: 'c' } }],
  },
];

describe('EMQX documented rules: parsed and evaluated with their documented outputs', () => {
  for (const example of examples) {
    const name = example.sql.replace(/\s+/g, ' ');
    it(`${name} on ${String(example.input.payload ?? JSON.stringify(example.input))}`, () => {
      const rule = compileRule(example.sql);
      assert.deepEqual(rule.sources, example.sources);
      assert.equal(rule.sql, example.sql);
      assert.deepEqual(rule.evaluate(example.input), example.outputs);
    });
  }

  it('gives the same outputs from an input of only the fields `reads` names', () => {
    for (const example of examples) {
      const rule = compileRule(example.sql);
      const reads = rule.reads;
      const input =
        reads === undefined
          ? example.input
          : Object.fromEntries(Object.entries(example.input).filter(([key]) => reads.has(key)));
      assert.deepEqual(rule.evaluate(input), example.outputs, example.sql);
    }
  });

  it('never changes its input, even through AS a.b into an input map', () => {
    const input = message('{"x":1}', { flags: { retain: true, dup: false } });
    const before = JSON.stringify(input);
    const rule = compileRule('SELECT *, 1 AS flags.extra, payload.x AS payload.y FROM "t/#"');
    const [output] = rule.evaluate(input);
    assert.equal(JSON.stringify(input), before);
    assert.deepEqual(output!.flags, { retain: true, dup: false, extra: 1 });
  });
});
