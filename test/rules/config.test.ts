// The `rules:` and `connectors:` sections of the YAML config: parsed into the config, every
// key checked with a message naming it; `culex start` runs the configured rules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { connect } from '../../src/client/index.js';
import { applyDocument, defaultConfig } from '../../src/config.js';
import { CulexError, ErrorCode } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'culex-rules-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function apply(yaml: string) {
  const config = defaultConfig();
  applyDocument(config, parseYaml(yaml));
  return config;
}

function refused(yaml: string, code: string, message: string): void {
  assert.throws(
    () => apply(yaml),
    (e: unknown) => e instanceof CulexError && e.code === code && e.message === message,
  );
}

test('rules and connectors sections are read, with defaults (enabled: true, no actions)', () => {
  const config = apply(`
connectors:
  - { name: hook, type: http, url: http://127.0.0.1:9 }
rules:
  - id: r1
    sql: SELECT * FROM "t/#"
  - id: r2
    sql: SELECT * FROM "u/#"
    enabled: false
    actions:
      - { type: republish, topic: 'x/\${clientid}', qos: 1, retain: true, userProperties: { a: b } }
      - { type: console }
      - { type: sink, connector: hook, path: /in }
`);
  assert.deepEqual(config.connectors, [{ name: 'hook', type: 'http', url: 'http://127.0.0.1:9' }]);
  assert.equal(config.rules.length, 2);
  assert.deepEqual(config.rules[0], {
    id: 'r1',
    sql: 'SELECT * FROM "t/#"',
    enabled: true,
    actions: [],
  });
  assert.equal(config.rules[1]!.enabled, false);
  assert.deepEqual(
    config.rules[1]!.actions.map((a) => a.type),
    ['republish', 'console', 'sink'],
  );
});

test('every key is checked, the message names it', () => {
  const bad = ErrorCode.ConfigBadValue;
  refused('rules: 5', bad, "'rules' must be a list");
  refused(
    'rules: [{ sql: x }]',
    bad,
    "'rules[0].id' must be 1 to 64 letters, digits or _ . : -, got undefined",
  );
  refused(
    'rules: [{ id: a b, sql: x }]',
    bad,
    `'rules[0].id' must be 1 to 64 letters, digits or _ . : -, got "a b"`,
  );
  refused('rules: [{ id: a }]', bad, "'rules[0].sql' must be a string, got undefined");
  refused(
    'rules: [{ id: a, sql: x, enabled: yes }]',
    bad,
    `'rules[0].enabled' must be true or false, got "yes"`,
  );
  refused(
    'rules: [{ id: a, sql: x, actions: [{ type: email }] }]',
    bad,
    `'rules[0].actions[0].type' must be republish, console or sink, got "email"`,
  );
  refused(
    'rules: [{ id: a, sql: x, actions: [{ type: republish, topic: t, qos: 3 }] }]',
    bad,
    "'rules[0].actions[0].qos' must be 0, 1 or 2, got 3",
  );
  refused('rules: [{ id: a, sql: x }, { id: a, sql: y }]', bad, `'rules[1].id' repeats "a"`);
  refused(
    'connectors: [{ name: k, type: kafka }]',
    bad,
    `'connectors[0].type' must be one of http, mqtt, postgresql, redis, nats, got "kafka"`,
  );
  refused(
    'rules: [{ id: a, sql: x, colour: red }]',
    ErrorCode.ConfigUnknownKey,
    "unknown setting 'rules[0].colour' (allowed: id, sql, enabled, description, actions)",
  );
});

test('culex start runs the configured rules; bad SQL stops it with the position', {
  timeout: 60_000,
}, async () => {
  const main = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'store: memory\nhttpPort: 0\nrules: [{ id: a, sql: "SELECT * FORM t" }]\n');
  const failed = spawn(
    process.execPath,
    [main, 'start', '-c', bad, '--port', '0', '--ws-port', '0'],
    { timeout: 20_000 },
  );
  let stderr = '';
  failed.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => failed.on('exit', r));
  assert.equal(code, 1);
  assert.match(stderr, /line 1, column \d+/);
  const port = await freePort();
  const good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    [
      'store: memory',
      'httpPort: 0',
      'wsPort: 0',
      `port: ${port}`,
      'rules:',
      '  - id: echo',
      '    sql: SELECT payload AS p FROM "in/#"',
      "    actions: [{ type: republish, topic: out/echo, payload: 'got ${p}' }]",
    ].join('\n'),
  );
  const server = spawn(process.execPath, [main, 'start', '-c', good], { stdio: 'ignore' });
  try {
    const client = await connectWithin(`mqtt://127.0.0.1:${port}`, 10_000);
    await client.subscribe('out/echo');
    const got = new Promise<string>((r) =>
      client.once('message', (m) => r(Buffer.from(m.payload).toString())),
    );
    await client.publish('in/x', 'hi');
    assert.equal(await got, 'got hi');
    await client.end({ force: true });
  } finally {
    server.kill();
  }
});

async function connectWithin(url: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await connect(url, { connectTimeout: 1000 });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A port free a moment ago, for a child process that must be told its port. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
