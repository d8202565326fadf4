// The `http` configuration section, the options `culex start` derives from it, and the
// `culex apikey` command run as a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashApiKey, readKeyFile, verifyPassword } from '../../src/admin/index.js';
import { httpOptions } from '../../src/cli/start-server.js';
import { applyDocument, applyEnvironment, applyFlags, defaultConfig } from '../../src/config.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'culex-admin-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('http configuration', () => {
  it('defaults to 127.0.0.1:18083 and a key file in the data directory', () => {
    const config = defaultConfig();
    assert.equal(config.httpPort, 18083);
    assert.equal(config.httpHost, '127.0.0.1');
    const options = httpOptions(config)!;
    assert.equal(options.port, 18083);
    assert.equal(options.apiKeyFile, join('./data', 'apikeys.yaml'));
    assert.equal(options.tokenTtl, 900);
    assert.equal(options.config, config);
  });

  it('is disabled by port 0 from a flag or the environment', () => {
    const fromFlag = defaultConfig();
    applyFlags(fromFlag, { httpPort: '0' });
    assert.equal(httpOptions(fromFlag), undefined);
    const fromEnv = defaultConfig();
    applyEnvironment(fromEnv, { CULEX_HTTP_PORT: '9999', CULEX_HTTP_HOST: '0.0.0.0' });
    assert.deepEqual([fromEnv.httpPort, fromEnv.httpHost], [9999, '0.0.0.0']);
  });

  it('reads keys, users, key file and token lifetime', () => {
    const config = defaultConfig();
    applyDocument(config, {
      httpPort: 8080,
      http: {
        apiKeys: [
          { name: 'a', key: 'k' },
          { name: 'b', hash: hashApiKey('x') },
        ],
        apiKeyFile: '/etc/culex/keys.yaml',
        users: [{ username: 'admin', password: 'pw' }],
        tokenTtl: 60,
      },
    });
    const options = httpOptions(config)!;
    assert.equal(options.port, 8080);
    assert.equal(options.apiKeys!.length, 2);
    assert.equal(options.apiKeyFile, '/etc/culex/keys.yaml');
    assert.deepEqual(options.users, [{ username: 'admin', password: 'pw' }]);
    assert.equal(options.tokenTtl, 60);
  });

  it('refuses bad http sections with a message naming the key', () => {
    const bad: [unknown, RegExp][] = [
      ['yes', /'http' must be a mapping/],
      [{ color: 1 }, /unknown setting 'http.color'/],
      [{ apiKeys: {} }, /'http.apiKeys' must be a list/],
      [{ apiKeys: [{ name: 'a' }] }, /'http.apiKeys\[0\]' needs name, and key or hash/],
      [{ apiKeys: [{ key: 'k' }] }, /needs name/],
      [{ apiKeys: [{ name: 'a', key: 5 }] }, /'http.apiKeys\[0\].key'/],
      [{ users: [{ username: 'u' }] }, /'http.users\[0\]' needs username and password/],
      [{ tokenTtl: 1 }, /'http.tokenTtl'/],
    ];
    for (const [http, message] of bad)
      assert.throws(() => applyDocument(defaultConfig(), { http }), message, JSON.stringify(http));
    assert.throws(() => applyDocument(defaultConfig(), { httpPort: 70000 }), /'httpPort'/);
  });
});

describe('culex apikey', () => {
  const culex = (args: string[], input?: string) =>
    spawnSync(process.execPath, [MAIN, 'apikey', ...args], {
      encoding: 'utf8',
      input,
      timeout: 30_000,
    });

  it('creates, lists and deletes keys in a private file that stores digests only', () => {
    const file = join(dir, 'keys', 'apikeys.yaml');
    const created = culex(['create', 'grafana', '--file', file]);
    assert.equal(created.status, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^culex_/);
    assert.ok(!readFileSync(file, 'utf8').includes(key), 'the key itself is not stored');
    assert.equal(readKeyFile(file)[0]!.hash, hashApiKey(key));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(culex(['create', 'grafana', '--file', file]).status, 1);
    assert.match(culex(['list', '--file', file]).stdout, /^grafana\t\d{4}-/);
    assert.equal(culex(['delete', 'grafana', '--file', file]).status, 0);
    const empty = culex(['list', '--file', file]);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, `no API keys in ${file}\n`, 'an empty list says so');
    assert.equal(empty.status, 0);
    const missing = culex(['delete', 'grafana', '--file', file]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no API key named 'grafana'/);
  });

  it('prints scrypt hashes for dashboard users', () => {
    const res = culex(['password'], 's3cret\n');
    assert.equal(res.status, 0, res.stderr);
    assert.ok(verifyPassword('s3cret', res.stdout.trim()));
  });
});
