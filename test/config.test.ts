// Configuration: defaults ← YAML ← environment ← flags, and exact messages for bad settings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { buildConfig } from '../src/cli/start-server.js';
import { defaultConfig, effectiveListeners } from '../src/config.js';
import { parse as parseYaml } from 'yaml';
import { ErrorCode } from '../src/errors.js';
import { defaultGatewayOptions } from '../src/gateway/options.js';

const dir = mkdtempSync(join(tmpdir(), 'culex-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.js');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('defaults: TCP 1883 and WebSocket 8083/mqtt on loopback only, the lmdb store', () => {
  const config = buildConfig({}, {});
  assert.deepEqual(effectiveListeners(config), [
    { type: 'tcp', host: '127.0.0.1', port: 1883 },
    { type: 'ws', host: '127.0.0.1', port: 8083, path: '/mqtt' },
  ]);
  assert.equal(config.store, 'lmdb');
  assert.equal(config.durability, 'sync');
});

test('YAML, then environment, then flags: later wins', () => {
  const path = file('layers.yaml', 'port: 1000\nwsPort: 2000\nbroker:\n  maxKeepAlive: 30\n');
  const config = buildConfig(
    { config: path, port: '3000' },
    { CULEX_PORT: '1500', CULEX_WS_PORT: '0', CULEX_BROKER_MAX_KEEP_ALIVE: '45' },
  );
  assert.equal(config.port, 3000);
  assert.equal(config.wsPort, 0);
  assert.equal(config.broker.maxKeepAlive, 45);
  assert.deepEqual(effectiveListeners(config), [{ type: 'tcp', host: '127.0.0.1', port: 3000 }]);
});

test('an explicit listener list replaces host/port/wsPort', () => {
  const path = file(
    'listeners.yaml',
    'listeners:\n  - { type: tcp, port: 1884 }\n  - { type: ws, port: 9001 }\n',
  );
  assert.deepEqual(effectiveListeners(buildConfig({ config: path }, {})), [
    { host: '0.0.0.0', type: 'tcp', port: 1884 },
    { host: '0.0.0.0', type: 'ws', port: 9001, path: '/mqtt' },
  ]);
});

test('an mqttsn listener takes the gateway options and pre-defined topic ids', () => {
  const path = file(
    'mqttsn.yaml',
    'listeners:\n  - type: mqttsn\n    port: 1884\n    host: "::"\n    gatewayId: 3\n' +
      '    advertiseInterval: 60\n    predefinedTopics: { 1: sensors/temp, 200: "a/b" }\n',
  );
  assert.deepEqual(effectiveListeners(buildConfig({ config: path }, {})), [
    {
      host: '::',
      type: 'mqttsn',
      port: 1884,
      gatewayId: 3,
      advertiseInterval: 60,
      predefinedTopics: { 1: 'sensors/temp', 200: 'a/b' },
    },
  ]);
});

const refusals: [string, string, string, string][] = [
  [
    'gateway option on a tcp listener',
    'listeners:\n  - { type: tcp, port: 1883, gatewayId: 2 }\n',
    ErrorCode.ConfigBadValue,
    "'listeners[0].gatewayId' applies to listeners of type mqttsn only",
  ],
  [
    'pre-defined topic id out of range',
    'listeners:\n  - { type: mqttsn, port: 1884, predefinedTopics: { 0: a } }\n',
    ErrorCode.ConfigBadValue,
    'invalid value for \'listeners[0].predefinedTopics\': topic id "0" is not a number from 1 to 65534',
  ],
  [
    'pre-defined topic with a wildcard',
    'listeners:\n  - { type: mqttsn, port: 1884, predefinedTopics: { 1: a/# } }\n',
    ErrorCode.ConfigBadValue,
    'topic 1 must be a topic name without wildcards',
  ],
  [
    'gateway id above one octet',
    'listeners:\n  - { type: mqttsn, port: 1884, gatewayId: 256 }\n',
    ErrorCode.ConfigBadValue,
    "'listeners[0].gatewayId': expected a whole number from 0 to 255",
  ],
  ['unknown key', 'prot: 1883\n', ErrorCode.ConfigUnknownKey, "unknown setting 'prot' (allowed: "],
  [
    'unknown broker key',
    'broker:\n  maxKeepalive: 10\n',
    ErrorCode.ConfigUnknownKey,
    "unknown setting 'broker.maxKeepalive'",
  ],
  [
    'port out of range',
    'port: 70000\n',
    ErrorCode.ConfigBadValue,
    "invalid value 70000 for 'port': expected a whole number from 0 to 65535",
  ],
  [
    'bad enum',
    'store: redis\n',
    ErrorCode.ConfigBadValue,
    'invalid value "redis" for \'store\': expected one of memory, lmdb',
  ],
  [
    'tls without cert',
    'listeners:\n  - { type: tls, port: 8883 }\n',
    ErrorCode.ConfigBadValue,
    "'listeners[0]' of type tls needs 'cert' and 'key'",
  ],
  ['not a mapping', '- 1\n- 2\n', ErrorCode.ConfigBadValue, 'must be a YAML mapping'],
  [
    'keep alive above the Two Byte Integer maximum',
    'broker:\n  maxKeepAlive: 4294967295\n',
    ErrorCode.ConfigBadValue,
    "invalid value 4294967295 for 'broker.maxKeepAlive': expected a whole number from 0 to 65535",
  ],
  [
    'receive maximum 0 (a Protocol Error in 5.0)',
    'broker:\n  receiveMaximum: 0\n',
    ErrorCode.ConfigBadValue,
    "'broker.receiveMaximum': expected a whole number from 1 to 65535",
  ],
];

for (const [name, yaml, code, message] of refusals) {
  test(`bad configuration is refused with a clear message: ${name}`, () => {
    const path = file(`${name.replaceAll(' ', '-')}.yaml`, yaml);
    assert.throws(
      () => buildConfig({ config: path }, {}),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, code);
        assert.ok(error.message.includes(message), error.message);
        return true;
      },
    );
  });
}

test('a bad flag value and a bad environment value name the key', () => {
  assert.throws(() => buildConfig({ port: 'abc' }, {}), /invalid value "abc" for 'port'/);
  assert.throws(
    () => buildConfig({}, { CULEX_BROKER_MAXIMUM_QOS: '3' }),
    /invalid value "3" for 'broker.maximumQoS': expected one of 0, 1, 2/,
  );
});

test('culex start stops with exit code 1 and the message on a bad configuration', () => {
  const path = file('start-bad.yaml', 'durability: maybe\n');
  const run = spawnSync(process.execPath, [main, 'start', '--config', path], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(run.status, 1);
  assert.match(
    run.stderr,
    /culex: invalid value "maybe" for 'durability': expected one of sync, periodic \(CULEX_E_CONFIG_BAD_VALUE\)/,
  );
});

test('culex start names an unreadable configuration file', () => {
  const run = spawnSync(process.execPath, [main, 'start', '--config', join(dir, 'missing.yaml')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(run.status, 1);
  assert.match(
    run.stderr,
    /cannot read configuration file .*missing\.yaml.*CULEX_E_CONFIG_UNREADABLE/,
  );
});

test('an unknown key lists every key its section takes, sub-sections included, from the defaults', () => {
  const message = (yaml: string) => {
    try {
      buildConfig({ config: file('allowed.yaml', yaml) }, {});
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail('accepted');
  };
  const top = message('prot: 1\n');
  for (const key of Object.keys(defaultConfig())) assert.ok(top.includes(` ${key}`), key);
  const http = message('http:\n  port: 8080\n');
  assert.match(http, /^unknown setting 'http\.port' \(allowed: /);
  for (const key of ['apiKeys', 'apiKeyFile', 'users', 'tokenTtl']) assert.ok(http.includes(key));
});

test('the README shows every top-level setting in a YAML example', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const yaml = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
  for (const key of Object.keys(defaultConfig()))
    assert.match(yaml, new RegExp(`^${key}:`, 'm'), `${key} in a README yaml block`);
});

test('culex start --print-config prints the merged configuration, secrets redacted, and exits', () => {
  const path = file('print.yaml', 'port: 1999\nauth:\n  scram: { users: { alice: s3cret } }\n');
  const run = spawnSync(process.execPath, [main, 'start', '-c', path, '--print-config'], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CULEX_WS_PORT: '0' },
  });
  assert.equal(run.status, 0, run.stderr);
  const printed = parseYaml(run.stdout);
  assert.equal(printed.port, 1999);
  assert.equal(printed.wsPort, 0);
  assert.equal(printed.host, '127.0.0.1');
  assert.equal(printed.http.tokenTtl, 900);
  assert.deepEqual(printed.auth.scram.users, { alice: '[redacted]' });
  assert.ok(!run.stdout.includes('s3cret'));
  assert.equal(run.stderr, '', 'it did not start');
});

test('the README documents every MQTT-SN gateway setting with its default', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  for (const [key, value] of Object.entries(defaultGatewayOptions)) {
    const shown = typeof value === 'object' ? '\\{\\}' : String(value);
    const row = new RegExp(`^\\| \`${key}\` \\| ${shown} \\|`, 'm');
    assert.match(readme, row, `the README's MQTT-SN table has ${key} (default ${shown})`);
  }
  for (const key of ['username', 'password'])
    assert.match(
      readme,
      new RegExp(`^\\| \`${key}\` \\| — \\|`, 'm'),
      `${key} in the MQTT-SN table`,
    );
});

test('the README documents every broker setting with its default', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  for (const [key, value] of Object.entries(defaultConfig().broker)) {
    const row = new RegExp(`^\\| \`${key}\` \\| ${String(value)} \\|`, 'm');
    assert.match(readme, row, `the README's broker table has ${key} (default ${value})`);
  }
});
