// Micro benchmark of the rule SQL layer: `npm run bench:sql`. Evaluations per second of
// typical rules on one message each (compiled once, as the rule engine does), with
// JSON.parse of the same payload as the floor: a rule that reads the payload parses it once.
// Prints one table row per case; a script, never a timed test.
import { Buffer } from 'node:buffer';
import { compileRule, compileTemplate, type RuleInput } from '../src/sql/index.js';
import { measureRoundRobin } from './round-robin.js';

const RUN_MS = Number(process.env.BENCH_MS ?? 1000);

/** Messages as the engine hands them over: the payload as the bytes that arrived. */
function messages(count: number): RuleInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `0005F8F84FFFAFB9F442${String(i).padStart(12, '0')}`,
    clientid: `sensor-${i}`,
    username: 'fleet',
    topic: `sensors/d${i}/temp`,
    qos: 1,
    flags: { retain: false, dup: false },
    payload: Buffer.from(
      JSON.stringify({
        temp: 20 + (i % 20),
        hum: 40 + (i % 7),
        items: [
          { id: `a${i}`, v: i % 3 },
          { id: `b${i}`, v: (i + 1) % 3 },
        ],
      }),
    ),
    peerhost: '127.0.0.1',
    timestamp: 1_700_000_000_000 + i,
    publish_received_at: 1_700_000_000_000 + i,
    node: 'culex@127.0.0.1',
  }));
}

/** `op` over `inputs` round-robin for RUN_MS: operations per second. */
const measure = <T>(inputs: readonly T[], op: (input: T) => unknown) =>
  measureRoundRobin(inputs, op, RUN_MS);

const RULES: [name: string, sql: string][] = [
  [
    'typical (issue 14)',
    `SELECT payload.temp AS t, clientid, topic FROM "sensors/#"
     WHERE t > 30 AND topic =~ 'sensors/+/temp'`,
  ],
  ['SELECT * (no payload read)', 'SELECT * FROM "sensors/#"'],
  [
    'functions and CASE',
    `SELECT upper(clientid) + '/' + str(payload.temp) AS key,
            CASE WHEN payload.temp > 30 THEN 'hot' ELSE 'ok' END AS level,
            round(payload.hum * 1.8 + 32) AS f, format_date('millisecond', 'Z', '%Y-%m-%d', timestamp) AS day
     FROM "sensors/#" WHERE payload.hum > 0`,
  ],
  [
    'FOREACH with INCASE',
    'FOREACH payload.items AS i DO i.id AS id, clientid INCASE i.v > 0 FROM "sensors/#"',
  ],
];

function main(): void {
  const inputs = messages(1000);
  const rows: [string, number, string][] = [
    [
      'JSON.parse of the payload (floor)',
      measure(inputs, (m) => JSON.parse(String(m.payload))),
      '',
    ],
  ];
  for (const [name, sql] of RULES) {
    const rule = compileRule(sql);
    const outputs = inputs.reduce((n, m) => n + rule.evaluate(m).length, 0) / inputs.length;
    rows.push([
      `evaluate: ${name}`,
      measure(inputs, (m) => rule.evaluate(m)),
      `${outputs} outputs/msg`,
    ]);
  }
  const rule = compileRule(RULES[0]![1]);
  const outputs = inputs.map((m) => rule.evaluate(m)[0] ?? { t: 1, clientid: 'x', topic: 't' });
  const template = compileTemplate('alerts/${clientid}/${t}');
  rows.push(['template render (2 fields)', measure(outputs, (o) => template.render(o)), '']);
  rows.push(['compileRule (typical)', measure([RULES[0]![1]], (sql) => compileRule(sql)), '']);
  console.log(`${'case'.padEnd(42)} ${'ops/s'.padStart(12)}  note`);
  for (const [name, ops, note] of rows) {
    console.log(
      `${name.padEnd(42)} ${Math.round(ops).toLocaleString('en-US').padStart(12)}  ${note}`,
    );
  }
}

main();
