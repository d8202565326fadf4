// The PostgreSQL source against a real server (initdb + postgres on a free port, started once).
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { createAuth } from '../../src/auth/index.js';
import { ReasonCode } from '../../src/protocol/constants.js';
import { client, makeTempDir, connectRequest } from './helpers.js';
import { type ManagedServer, startPostgres } from './servers.js';
import {
  checkDeviceAcl,
  outageUnderLoad,
  sourceFigures,
  startAuthBroker,
} from './source-harness.js';
import { INJECTIONS } from './injections.js';

let server: ManagedServer & { url: string };
let db: pg.Client;

const sha256 = (password: string, salt: string) =>
  createHash('sha256').update(password).update(salt).digest('hex');

const SCHEMA = `
CREATE TABLE mqtt_user (username text PRIMARY KEY, password_hash text, salt text,
  is_superuser boolean NOT NULL DEFAULT false, algorithm text NOT NULL DEFAULT 'sha256');
CREATE TABLE mqtt_acl (seq serial, username text, permission text, action text, topic text);
`;

before(async () => {
  server = await startPostgres();
  db = new pg.Client({ connectionString: server.url });
  db.on('error', () => {}); // the outage tests stop the server under it
  await db.connect();
  await db.query(SCHEMA);
  const add = (user: string, hash: string, salt: string, algorithm: string, superuser = false) =>
    db.query(
      'INSERT INTO mqtt_user (username, password_hash, salt, algorithm, is_superuser) VALUES ($1,$2,$3,$4,$5)',
      [user, hash, salt, algorithm, superuser],
    );
  await add('alice', sha256('alice-pw', 's1'), 's1', 'sha256');
  await add('bob', sha256('bob-pw', 's2'), 's2', 'sha256');
  await add('root', sha256('root-pw', 's3'), 's3', 'sha256', true);
  await add('carol', bcrypt.hashSync('carol-pw', 4), '', 'bcrypt');
  const derived = pbkdf2Sync('dave-pw', 's4', 1000, 32, 'sha256').toString('hex');
  await add('dave', derived, 's4', 'pbkdf2');
  await add('erin', 'erin-pw', '', 'plain');
  const acl = (user: string, permission: string, action: string, topic: string) =>
    db.query('INSERT INTO mqtt_acl (username, permission, action, topic) VALUES ($1,$2,$3,$4)', [
      user,
      permission,
      action,
      topic,
    ]);
  await acl('alice', 'deny', 'all', 'devices/%c/secret');
  await acl('alice', 'allow', 'all', 'devices/%c/#');
  await acl('alice', 'allow', 'subscribe', 'news/+');
  await acl('bob', 'allow', 'all', 'load/#');
});
after(async () => {
  await db?.end();
  await server?.remove();
});

const QUERY = (algorithm: string) =>
  `SELECT password_hash, salt, is_superuser FROM mqtt_user WHERE username = \${username} AND algorithm = '${algorithm}'`;
const ACL_QUERY =
  'SELECT permission, action, topic FROM mqtt_acl WHERE username = ${username} ORDER BY seq';

const postgres = (extra: Record<string, unknown> = {}) => ({
  url: server.url,
  query: QUERY('sha256'),
  aclQuery: ACL_QUERY,
  passwordHash: { algorithm: 'sha256', saltPosition: 'suffix' },
  ...extra,
});

const reasonOf = (packet: unknown) =>
  (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;

const request = connectRequest;

describe('PostgreSQL authentication', () => {
  test('each password hash: sha256 with salt, bcrypt, pbkdf2, plain (opt-in)', async () => {
    const cases = [
      {
        user: 'alice',
        password: 'alice-pw',
        passwordHash: { algorithm: 'sha256', saltPosition: 'suffix' },
      },
      { user: 'carol', password: 'carol-pw', passwordHash: 'bcrypt' },
      {
        user: 'dave',
        password: 'dave-pw',
        passwordHash: { algorithm: 'pbkdf2', digest: 'sha256', iterations: 1000 },
      },
      { user: 'erin', password: 'erin-pw', passwordHash: 'plain' },
    ];
    for (const c of cases) {
      const algorithm =
        typeof c.passwordHash === 'string' ? c.passwordHash : c.passwordHash.algorithm;
      const auth = await createAuth({
        postgres: { url: server.url, query: QUERY(algorithm), passwordHash: c.passwordHash },
      });
      try {
        const ok = await auth.authenticator.authenticate(request(c.user, c.password));
        assert.equal(ok.ok, true, `${c.user} with the right password`);
        const wrong = await auth.authenticator.authenticate(request(c.user, `${c.password}x`));
        assert.equal(wrong.ok, false, `${c.user} with a wrong password`);
        assert.equal(!wrong.ok && wrong.reasonCode, ReasonCode.BadUserNameOrPassword);
      } finally {
        await auth.close();
      }
    }
  });

  test('a quoted placeholder and an unknown one are config errors', async () => {
    const quoted = "SELECT password_hash FROM mqtt_user WHERE username = '${username}'";
    await assert.rejects(
      createAuth({ postgres: { url: server.url, query: quoted, passwordHash: 'bcrypt' } }),
      /auth\.postgres\.query: placeholders are bound as parameters/,
    );
    const unknown = 'SELECT password_hash FROM mqtt_user WHERE username = ${user}';
    await assert.rejects(
      createAuth({ postgres: { url: server.url, query: unknown, passwordHash: 'bcrypt' } }),
      /unknown placeholder \$\{user\}/,
    );
    await assert.rejects(
      createAuth({ postgres: { url: server.url, query: QUERY('sha256') } }),
      /auth\.postgres\.passwordHash: is required/,
    );
  });

  test('answers are cached: a second CONNECT asks no query; unknown users are cached briefly', async () => {
    const auth = await createAuth({ postgres: postgres({ negativeTtlMs: 60_000 }) });
    try {
      for (let i = 0; i < 3; i++)
        await auth.authenticator.authenticate(request('alice', 'alice-pw'));
      for (let i = 0; i < 3; i++) await auth.authenticator.authenticate(request('nobody', 'x'));
      const [figures] = auth.sources();
      assert.equal(figures!.queries, 2);
      assert.equal(figures!.cacheHits, 4);
      assert.equal(figures!.allow, 3);
      assert.equal(figures!.deny, 3);
    } finally {
      await auth.close();
    }
  });
});

describe('PostgreSQL authorization', () => {
  test('ACL rows in order, %c filled in, superuser skips the ACL, over MQTT', async () => {
    const broker = await startAuthBroker({ postgres: postgres() });
    await checkDeviceAcl(broker, async (alice) => {
      const ok = await alice.publishAsync('devices/dev1/temp', '1', { qos: 1 });
      assert.equal(reasonOf(ok), 0);
      const secret = alice.publishAsync('devices/dev1/secret', '1', { qos: 1 });
      await assert.rejects(secret, /Not authorized/, 'a deny row before the allow row');
    });
    const figures = await sourceFigures(broker, 'postgres');
    assert.ok(figures && (figures.allow as number) > 0 && (figures.deny as number) > 0);
    const { body } = await broker.api('GET', '/api/v1/config');
    assert.equal(
      body.auth.postgres.query,
      QUERY('sha256'),
      'the source is in the effective config',
    );
    const metrics = await broker.api('GET', '/metrics');
    assert.match(metrics.text, /culex_auth_source_requests_total\{source="postgres"\} \d+/);
    assert.match(metrics.text, /culex_auth_source_errors_total\{source="postgres"\} 0/);
  });

  test('injection: quotes, comments, wildcards and NUL in user names and client ids widen nothing', async () => {
    const auth = await createAuth({ postgres: postgres() });
    try {
      for (const evil of INJECTIONS) {
        for (const password of ['alice-pw', 'anything']) {
          const asUser = await auth.authenticator.authenticate(request(evil, password));
          assert.equal(asUser.ok, false, `user name ${JSON.stringify(evil)}`);
        }
        const intruder = client({ username: evil, clientId: evil });
        assert.equal(await auth.authorizer.authorizeSubscribe(intruder, '#'), false);
        assert.equal(
          await auth.authorizer.authorizePublish(intruder, 'devices/x/y', undefined!),
          false,
        );
        // alice with an evil client id: %c cannot become a wildcard or another device's id
        const aliceEvil = client({ username: 'alice', clientId: evil });
        assert.equal(await auth.authorizer.authorizeSubscribe(aliceEvil, 'devices/dev2/#'), false);
        assert.equal(await auth.authorizer.authorizeSubscribe(aliceEvil, 'devices/#'), false);
      }
      const { rows } = await db.query('SELECT count(*)::int AS n FROM mqtt_user');
      assert.equal(rows[0].n, 6, 'no statement an input carried ran');
    } finally {
      await auth.close();
    }
  });
});

describe('PostgreSQL down', () => {
  test('under load: deny policy refuses new clients with 0x88, connected clients keep their traffic, service resumes', async () => {
    const broker = await startAuthBroker({
      postgres: postgres({ cacheTtlMs: 200, timeoutMs: 1000 }),
    });
    const alice = { username: 'alice', password: 'alice-pw', protocolVersion: 5 as const };
    await outageUnderLoad(broker, {
      name: 'postgres',
      source: server,
      loader: { username: 'bob', password: 'bob-pw' },
      topic: 'load/a',
      newcomer: alice,
      async whileDown() {
        const wrong = await broker.tryConnect({ ...alice, clientId: 'n2', password: 'nope' });
        assert.notEqual(wrong, 0);
        // The cached ACL rows expire meanwhile: the stale rows keep connected clients going.
        await new Promise((r) => setTimeout(r, 300));
      },
    });
  });

  test('ignore policy: the next source in the chain decides; nobody gets in by the failure', async () => {
    const temp = await makeTempDir();
    after(() => temp.remove());
    const { hashPassword } = await import('../../src/auth/password-file.js');
    const { writeFile } = await import('node:fs/promises');
    const file = `${temp.dir}/passwd`;
    await writeFile(file, `local:${await hashPassword('local-pw')}\n`);
    const auth = await createAuth({
      postgres: postgres({ onError: 'ignore', timeoutMs: 1000 }),
      passwordFile: file,
    });
    await server.stop();
    try {
      const local = await auth.authenticator.authenticate(request('local', 'local-pw'));
      assert.equal(local.ok, true, 'the password file still answers');
      const alice = await auth.authenticator.authenticate(request('alice', 'alice-pw'));
      assert.equal(alice.ok, false, 'a database user cannot be checked: refused');
    } finally {
      await server.start();
      await auth.close();
    }
  });
});
