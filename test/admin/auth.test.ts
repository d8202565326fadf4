// The HTTP API's authentication on every route, logins, key files, probes, status, the
// configuration view and the OpenAPI document.
import { openapiPath } from '../../src/admin/routes.js';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/admin/index.js';
import { createKey, deleteKey } from '../../src/cli/apikey.js';
import { API_KEY, startHarness } from './helpers.js';

const dir = await mkdtemp(join(tmpdir(), 'culex-admin-'));
after(() => rm(dir, { recursive: true, force: true }));
const keyFile = join(dir, 'apikeys.yaml');
let clock = Date.now();
const h = await startHarness({
  broker: { nodeName: 'node-a' },
  http: {
    apiKeyFile: keyFile,
    now: () => clock,
    tokenTtl: 60,
    users: [
      { username: 'admin', password: 'secret-pw' },
      { username: 'ops', password: hashPassword('hashed-pw') },
    ],
    config: {
      http: { apiKeys: [{ name: 'ci', key: 'abc' }], users: [{ username: 'u', password: 'p' }] },
      auth: {
        jwt: { secret: 'shh' },
        postgres: { url: 'postgres://mqtt:pgpw@127.0.0.1/mqtt', query: 'SELECT 1' },
        ldap: { url: 'ldap://127.0.0.1', bindDn: 'cn=admin', bindPassword: 'ldappw' },
      },
      port: 1883,
    },
  },
});

/** A concrete URL for each route of the table: path parameters filled in. */
function concrete(url: string): string {
  return url.replace(':kind', 'clientId').replace(/:\w+/g, 'x');
}

describe('admin API authentication', () => {
  it('refuses every non-public route without credentials and with a wrong key (401)', async () => {
    const routes = h.server.admin!.table.routes;
    assert.ok(routes.length >= 25, `${routes.length} routes`);
    for (const route of routes) {
      if (route.public) continue;
      for (const auth of [null, 'wrong-key']) {
        const res = await h.api(route.method, concrete(route.url), undefined, auth);
        assert.equal(res.status, 401, `${route.method} ${route.url} with ${auth}`);
        assert.equal(res.body.error, 'unauthorized');
        assert.match(res.body.message, auth === null ? /credentials required/ : /invalid/);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      }
    }
    const status = await h.api('GET', '/api/v1/status', undefined, null);
    assert.equal(status.status, 401);
  });

  it('accepts the key as Bearer and as X-API-Key; refuses a malformed Authorization', async () => {
    assert.equal((await h.api('GET', '/api/v1/status')).status, 200);
    const viaHeader = await fetch(`${h.base}/api/v1/status`, { headers: { 'x-api-key': API_KEY } });
    assert.equal(viaHeader.status, 200);
    const basic = await fetch(`${h.base}/api/v1/status`, {
      headers: { authorization: `Basic ${API_KEY}` },
    });
    assert.equal(basic.status, 401);
  });

  it('leaves the probes open', async () => {
    const live = await h.api('GET', '/api/v1/health/live', undefined, null);
    assert.deepEqual([live.status, live.body], [200, { status: 'ok' }]);
    const ready = await h.api('GET', '/api/v1/health/ready', undefined, null);
    assert.deepEqual([ready.status, ready.body], [200, { status: 'ready' }]);
  });

  it('logs a dashboard user in for a token that expires', async () => {
    const login = await h.api(
      'POST',
      '/api/v1/login',
      { username: 'admin', password: 'secret-pw' },
      null,
    );
    assert.equal(login.status, 200);
    const { token, expiresAt } = login.body;
    assert.equal(expiresAt, clock + 60_000);
    assert.equal((await h.api('GET', '/api/v1/status', undefined, token)).status, 200);
    clock += 61_000;
    assert.equal((await h.api('GET', '/api/v1/status', undefined, token)).status, 401);
  });

  it('accepts scrypt password hashes and ends tokens at logout', async () => {
    const login = await h.api(
      'POST',
      '/api/v1/login',
      { username: 'ops', password: 'hashed-pw' },
      null,
    );
    assert.equal(login.status, 200);
    const token = login.body.token;
    assert.equal((await h.api('POST', '/api/v1/logout', undefined, token)).status, 204);
    assert.equal((await h.api('GET', '/api/v1/status', undefined, token)).status, 401);
  });

  it('refuses wrong logins (401) and malformed ones (400), then throttles (429)', async () => {
    const bad = await h.api('POST', '/api/v1/login', { username: 'admin', password: 'nope' }, null);
    assert.deepEqual([bad.status, bad.body.error], [401, 'unauthorized']);
    const unknown = await h.api('POST', '/api/v1/login', { username: 'who', password: 'x' }, null);
    assert.equal(unknown.status, 401);
    const missing = await h.api('POST', '/api/v1/login', { username: 'admin' }, null);
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /body must have required property 'password'/);
    const extra = await h.api(
      'POST',
      '/api/v1/login',
      { username: 'a', password: 'b', c: 1 },
      null,
    );
    assert.equal(extra.status, 400);
    assert.match(extra.body.message, /additional properties/);
    const notJson = await fetch(`${h.base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'admin:secret-pw',
    });
    assert.equal(notJson.status, 415);
    const broken = await fetch(`${h.base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    assert.equal(broken.status, 400);
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++)
      status = (await h.api('POST', '/api/v1/login', { username: 'admin', password: 'x' }, null))
        .status;
    assert.equal(status, 429);
    const good = await h.api(
      'POST',
      '/api/v1/login',
      { username: 'admin', password: 'secret-pw' },
      null,
    );
    assert.equal(good.status, 429, 'throttled even with the right password');
  });

  it('picks up keys created by culex apikey without a restart, and drops deleted ones', async () => {
    const key = createKey(keyFile, 'deploy');
    assert.match(key, /^culex_[\w-]{32}$/);
    clock += 2000; // the key file is checked at most once a second
    assert.equal((await h.api('GET', '/api/v1/status', undefined, key)).status, 200);
    assert.throws(() => createKey(keyFile, 'deploy'), /already exists/);
    deleteKey(keyFile, 'deploy');
    clock += 2000;
    assert.equal((await h.api('GET', '/api/v1/status', undefined, key)).status, 401);
    assert.equal((await h.api('GET', '/api/v1/status')).status, 200, 'config keys stay');
  });

  it('hashes passwords with scrypt and verifies them', () => {
    const hash = hashPassword('pw');
    assert.match(hash, /^scrypt:16384:/);
    assert.ok(verifyPassword('pw', hash));
    assert.ok(!verifyPassword('pW', hash));
    assert.ok(verifyPassword('plain', 'plain'));
    assert.ok(!verifyPassword('plain', 'plainer'));
  });
});

describe('status, configuration and OpenAPI', () => {
  it('reports node name, version, uptime and listeners', async () => {
    const res = await h.api('GET', '/api/v1/status');
    assert.equal(res.body.node, 'node-a');
    assert.match(res.body.version, /^\d+\.\d+\.\d+/);
    assert.ok(res.body.uptimeSeconds >= 0);
    const types = res.body.listeners.map((l: { type: string }) => l.type);
    assert.deepEqual(types, ['tcp', 'ws']);
    assert.equal(res.body.listeners[1].port, h.server.address('ws').port);
    assert.equal(res.body.listeners[1].path, '/mqtt');
    assert.equal(res.body.http.port, h.server.admin!.port);
  });

  it('shows the configuration with secrets redacted', async () => {
    const res = await h.api('GET', '/api/v1/config');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.http.apiKeys, [{ name: 'ci', key: '[redacted]' }]);
    assert.deepEqual(res.body.http.users, [{ username: 'u', password: '[redacted]' }]);
    assert.equal(res.body.auth.jwt.secret, '[redacted]');
    assert.equal(res.body.auth.postgres.url, 'postgres://mqtt:[redacted]@127.0.0.1/mqtt');
    assert.equal(res.body.auth.postgres.query, 'SELECT 1', 'the sources are shown');
    assert.equal(res.body.auth.ldap.bindPassword, '[redacted]');
    assert.equal(res.body.port, 1883);
    for (const secret of ['shh', '"abc"', 'pgpw', 'ldappw']) assert.ok(!res.text.includes(secret));
  });

  it('serves an OpenAPI 3 document describing every route', async () => {
    const res = await h.api('GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.0.3');
    for (const route of h.server.admin!.table.routes) {
      const path = openapiPath(route.url);
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${path} documented`);
      assert.ok(op.summary && op.responses, path);
      if (route.public) assert.deepEqual(op.security, []);
      else assert.ok(op.responses['401'], `${path} documents 401`);
    }
    const list = doc.paths['/api/v1/clients'].get;
    const names = list.parameters.map((p: { name: string }) => p.name);
    assert.ok(names.includes('cursor') && names.includes('connected'));
    const publish = doc.paths['/api/v1/publish'].post.requestBody.content['application/json'];
    assert.deepEqual(publish.schema.required, ['topic']);
    const ids = Object.values(doc.paths).flatMap((p) =>
      Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId),
    );
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  });

  it('answers unknown routes with a JSON 404 after authentication', async () => {
    const res = await h.api('GET', '/api/v1/nothing-here');
    assert.deepEqual([res.status, res.body.error], [404, 'not_found']);
  });
});

describe('readiness', () => {
  it('answers 503 while the broker is not ready', async () => {
    let ready = false;
    const other = await startHarness({ http: { ready: () => ready } });
    const res = await other.api('GET', '/api/v1/health/ready', undefined, null);
    assert.deepEqual([res.status, res.body], [503, { status: 'unavailable' }]);
    ready = true;
    assert.equal((await other.api('GET', '/api/v1/health/ready', undefined, null)).status, 200);
  });
});
