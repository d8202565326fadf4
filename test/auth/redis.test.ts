// The Redis source against a real redis-server on a free port, started once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { culexArgs, freePort, startCulex } from '../../bench/broker-process.js';
import { createAuth } from '../../src/auth/index.js';
import { waitFor } from '../admin/helpers.js';
import { client, connectRequest, makeTempDir } from './helpers.js';
import { INJECTIONS } from './injections.js';
import { type ManagedServer, startRedis } from './servers.js';
import {
  checkDeviceAcl,
  outageUnderLoad,
  sourceFigures,
  startAuthBroker,
} from './source-harness.js';

let server: ManagedServer;
let redis: Redis;

const sha256 = (password: string, salt: string) =>
  createHash('sha256').update(salt).update(password).digest('hex');

before(async () => {
  server = await startRedis();
  redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  redis.on('error', () => {}); // the outage test stops the server under it
  await redis.connect();
  await redis.hset('mqtt_user:alice', { password_hash: sha256('alice-pw', 's1'), salt: 's1' });
  await redis.hset('mqtt_user:bob', { password_hash: sha256('bob-pw', 's2'), salt: 's2' });
  await redis.hset('mqtt_user:root', {
    password_hash: sha256('root-pw', 's3'),
    salt: 's3',
    is_superuser: '1',
  });
  await redis.hset('bcrypt_user:carol', { password_hash: bcrypt.hashSync('carol-pw', 4) });
  await redis.hset('mqtt_acl:alice', { 'devices/%c/#': 'all', 'news/+': 'subscribe' });
  await redis.hset('mqtt_acl:bob', { 'load/#': 'all' });
});
after(async () => {
  redis?.disconnect();
  await server?.remove();
});

const source = (extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port: server.port,
  command: 'HMGET mqtt_user:${username} password_hash salt is_superuser',
  aclCommand: 'HGETALL mqtt_acl:${username}',
  passwordHash: { algorithm: 'sha256', saltPosition: 'prefix' },
  ...extra,
});

const request = connectRequest;

describe('Redis authentication and authorization', () => {
  test('HMGET with a salted SHA-256, HGET with bcrypt; wrong and unknown refused', async () => {
    const auth = await createAuth({ redis: source() });
    const hget = await createAuth({
      redis: {
        port: server.port,
        command: 'HGET bcrypt_user:${username} password_hash',
        passwordHash: 'bcrypt',
      },
    });
    try {
      assert.equal((await auth.authenticator.authenticate(request('alice', 'alice-pw'))).ok, true);
      assert.equal((await auth.authenticator.authenticate(request('alice', 'bob-pw'))).ok, false);
      assert.equal((await auth.authenticator.authenticate(request('nobody', 'x'))).ok, false);
      assert.equal((await hget.authenticator.authenticate(request('carol', 'carol-pw'))).ok, true);
      assert.equal((await hget.authenticator.authenticate(request('carol', 'carol-px'))).ok, false);
    } finally {
      await auth.close();
      await hget.close();
    }
  });

  test('a command other than HGET, HMGET or HGETALL is a config error', async () => {
    await assert.rejects(
      createAuth({ redis: { port: server.port, command: 'EVAL x 0', passwordHash: 'bcrypt' } }),
      /auth\.redis\.command: expected one of HGET, HMGET, HGETALL/,
    );
  });

  test('ACL hash over MQTT: fields are filters with %c, values actions; superuser', async () => {
    const broker = await startAuthBroker({ redis: source() });
    await checkDeviceAcl(broker, async (alice) => {
      await assert.rejects(alice.publishAsync('news/today', 'x', { qos: 1 }), /Not authorized/);
    });
    const figures = await sourceFigures(broker, 'redis');
    // 2 CONNECTs and 4 checks of alice (root is a superuser: the ACL is skipped). A topic no
    // field names is no decision of Redis: the chain's noMatch (deny) settles it.
    assert.ok(figures && (figures.allow as number) >= 4 && (figures.requests as number) === 6);
    assert.equal(figures.errors, 0);
  });

  test('injection: separators, wildcards and NUL reach Redis as one argument and widen nothing', async () => {
    const auth = await createAuth({ redis: source() });
    try {
      for (const evil of INJECTIONS) {
        const asUser = await auth.authenticator.authenticate(request(evil, 'alice-pw'));
        assert.equal(asUser.ok, false, `user name ${JSON.stringify(evil)}`);
        const intruder = client({ username: evil, clientId: evil });
        assert.equal(await auth.authorizer.authorizeSubscribe(intruder, '#'), false);
        const aliceEvil = client({ username: 'alice', clientId: evil });
        assert.equal(await auth.authorizer.authorizeSubscribe(aliceEvil, 'devices/dev2/#'), false);
      }
      assert.equal(await redis.exists('mqtt_user:alice'), 1, 'no FLUSHALL ran');
    } finally {
      await auth.close();
    }
  });
});

describe('culex start with a redis section', () => {
  test('the source in /api/v1/metrics, its password redacted in /api/v1/config; SIGTERM closes it and exits 0', async () => {
    const temp = await makeTempDir();
    after(() => temp.remove());
    const [port, httpPort] = [await freePort(), await freePort()];
    const key = 'test-key-0123456789';
    const config = {
      auth: { redis: { ...source(), url: `redis://:not-needed@127.0.0.1:${server.port}` } },
      http: { apiKeys: [{ name: 'tests', key }] },
    };
    delete (config.auth.redis as Record<string, unknown>).port;
    const file = join(temp.dir, 'culex.yaml');
    await writeFile(file, JSON.stringify(config));
    const args = culexArgs(port, ['--config', file, '--store', 'memory']);
    args[args.indexOf('--http-port') + 1] = String(httpPort);
    const { child } = await startCulex(args);
    try {
      const alice = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: 'alice',
        password: 'alice-pw',
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      });
      await alice.endAsync(true);
      const api = (path: string) =>
        fetch(`http://127.0.0.1:${httpPort}${path}`, {
          headers: { authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(5_000),
        }).then((res) => res.json());
      const metrics = await api('/api/v1/metrics');
      assert.equal(metrics.authSources[0].name, 'redis');
      assert.equal(metrics.authSources[0].allow, 1);
      const shown = await api('/api/v1/config');
      assert.equal(shown.auth.redis.url, `redis://:[redacted]@127.0.0.1:${server.port}`);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'closed within the 10 s grace, pool included');
    }
  });
});

describe('Redis down', () => {
  test('under load: refused with 0x88 while down, connected clients keep their traffic, service resumes', async () => {
    const broker = await startAuthBroker({ redis: source({ cacheTtlMs: 200, timeoutMs: 1000 }) });
    await outageUnderLoad(broker, {
      name: 'redis',
      source: server,
      loader: { username: 'bob', password: 'bob-pw' },
      topic: 'load/a',
      newcomer: { username: 'alice', password: 'alice-pw', protocolVersion: 5 },
      whileDown: () => new Promise((r) => setTimeout(r, 300)), // the ACL rows expire meanwhile
      async afterStart() {
        // The test's own data is gone with the restart (no persistence): put alice back.
        await waitFor(() => redis.status === 'ready', 5_000, 'test client reconnected');
        await redis.hset('mqtt_user:alice', {
          password_hash: sha256('alice-pw', 's1'),
          salt: 's1',
        });
      },
    });
  });
});
