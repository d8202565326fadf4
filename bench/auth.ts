// npm run bench:auth: the CONNECT rate of `culex start` with each auth source, cache cold and
// warm, as a ratio of the rate with a password file, in one run.
//
// PostgreSQL, Redis and slapd are started here on free ports (test/auth/servers.ts), a JWKS is
// served over plain HTTP by this process. Each holds the same USERS users: u<i> / pw<i>, as a
// salted SHA-256 (PostgreSQL, Redis), an {SSHA} userPassword bound to (LDAP), an ES256 token
// (JWKS), and a $7$ PBKDF2-SHA512 hash, mosquitto's 101 iterations (the password file).
// For each source a fresh broker process; "cold" connects every user once (each a cache miss:
// a query, a bind, or for JWKS the one key-set fetch), "warm" connects them all again (cache
// hits; the password is still checked). MQTT 3.1.1 raw CONNECTs, CONCURRENCY in flight.
//
// Prints a table, then one JSON line: {"passwordFile": rate, "<source>Cold": ratio, ...}.
// Options: --users N (2000), --concurrency N (32).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import pg from 'pg';
import { hashPassword } from '../src/auth/password-file.js';
import { encode, PacketType } from '../src/protocol/index.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';
import { makeTempDir } from '../test/auth/helpers.js';
import {
  LDAP_ADMIN,
  LDAP_ADMIN_PASSWORD,
  LDAP_SUFFIX,
  startPostgres,
  startRedis,
  startSlapd,
} from '../test/auth/servers.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!, process.argv[i + 1] ?? '');
const USERS = Number(args.get('--users') ?? 2000);
const CONCURRENCY = Number(args.get('--concurrency') ?? 32);
const SALT = 'bench-salt';

const password = (i: number) => `pw${i}`;
const sha256 = (i: number) => createHash('sha256').update(SALT).update(password(i)).digest('hex');

/** One CONNECT and its CONNACK on a fresh socket; throws unless accepted. */
function connectOnce(port: number, username: string, secret: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const packet = encode(
      {
        type: PacketType.Connect,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 60,
        clientId: `b-${username}-${Math.random().toString(36).slice(2, 8)}`,
        username,
        password: Buffer.from(secret),
        properties: {},
      },
      4,
    );
    socket.once('connect', () => socket.write(packet));
    socket.once('data', (bytes: Buffer) => {
      socket.destroy();
      if (bytes[0] === 0x20 && bytes[3] === 0) resolve();
      else reject(new Error(`CONNACK refused for ${username}: ${bytes.toString('hex')}`));
    });
    socket.once('error', reject);
  });
}

/** Connects every user once, CONCURRENCY at a time; connections per second. */
async function connectAll(port: number, secretOf: (i: number) => string): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < USERS) {
      const i = next++;
      await connectOnce(port, `u${i}`, secretOf(i));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return USERS / ((performance.now() - t0) / 1000);
}

interface Scenario {
  name: string;
  auth: Record<string, unknown>;
  secret: (i: number) => string;
}

async function measure(dir: string, scenario: Scenario) {
  const port = await freePort();
  const file = join(dir, `${scenario.name}.yaml`);
  writeFileSync(file, JSON.stringify({ auth: scenario.auth }));
  const { child } = await startCulex(culexArgs(port, ['--config', file, '--store', 'memory']));
  try {
    const cold = await connectAll(port, scenario.secret);
    const warm = await connectAll(port, scenario.secret);
    return { cold, warm };
  } finally {
    await stopProcess(child);
  }
}

async function postgresSource() {
  const server = await startPostgres();
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query(
    'CREATE TABLE mqtt_user (username text PRIMARY KEY, password_hash text, salt text)',
  );
  await db.query(
    `INSERT INTO mqtt_user SELECT 'u' || i, encode(sha256(('${SALT}pw' || i)::bytea), 'hex'), '${SALT}'
     FROM generate_series(0, ${USERS - 1}) i`,
  );
  await db.end();
  const auth = {
    postgres: {
      url: server.url,
      query: 'SELECT password_hash, salt FROM mqtt_user WHERE username = ${username}',
      passwordHash: { algorithm: 'sha256', saltPosition: 'prefix' },
    },
  };
  return { server, auth };
}

async function redisSource() {
  const server = await startRedis();
  const redis = new Redis({ port: server.port, host: '127.0.0.1' });
  const pipeline = redis.pipeline();
  for (let i = 0; i < USERS; i++)
    pipeline.hset(`mqtt_user:u${i}`, { password_hash: sha256(i), salt: SALT });
  await pipeline.exec();
  redis.disconnect();
  const auth = {
    redis: {
      port: server.port,
      command: 'HMGET mqtt_user:${username} password_hash salt',
      passwordHash: { algorithm: 'sha256', saltPosition: 'prefix' },
    },
  };
  return { server, auth };
}

function ssha(secret: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(secret).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function ldapSource() {
  const people = `ou=people,${LDAP_SUFFIX}`;
  const entries = [
    `dn: ${LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
    `dn: ${people}\nobjectClass: organizationalUnit\nou: people\n`,
  ];
  for (let i = 0; i < USERS; i++) {
    entries.push(
      `dn: uid=u${i},${people}\nobjectClass: inetOrgPerson\nuid: u${i}\ncn: u${i}\nsn: u${i}\nuserPassword: ${ssha(password(i))}\n`,
    );
  }
  const server = await startSlapd(entries.join('\n'));
  const auth = {
    ldap: {
      url: server.url,
      bindDn: LDAP_ADMIN,
      bindPassword: LDAP_ADMIN_PASSWORD,
      baseDn: people,
    },
  };
  return { server, auth };
}

async function jwksSource() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' };
  const http = createServer((_request, response) => response.end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokens = await Promise.all(
    Array.from({ length: USERS }, (_, i) =>
      new SignJWT({ sub: `u${i}`, exp })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
        .sign(privateKey),
    ),
  );
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/jwks.json`;
  const auth = { jwt: { jwksUrl: url, usernameClaim: 'sub' } };
  return { server: { remove: async () => void http.close() }, auth, tokens };
}

async function main(): Promise<void> {
  const temp = await makeTempDir();
  const lines = [`${USERS} users, ${CONCURRENCY} CONNECTs in flight, MQTT 3.1.1, connections/s`];
  const results: Record<string, number> = {};
  const servers: { remove(): Promise<void> }[] = [];
  try {
    const file = join(temp.dir, 'passwd');
    const hashes = await Promise.all(
      Array.from({ length: USERS }, (_, i) => hashPassword(password(i))),
    );
    writeFileSync(file, hashes.map((hash, i) => `u${i}:${hash}\n`).join(''));
    const base = await measure(temp.dir, {
      name: 'file',
      auth: { passwordFile: file },
      secret: password,
    });
    const baseRate = (base.cold + base.warm) / 2;
    results.passwordFile = Math.round(baseRate);
    lines.push(
      `${'password file'.padEnd(14)} ${base.cold.toFixed(0).padStart(7)} ${base.warm.toFixed(0).padStart(7)}   1.00 (reference)`,
    );
    const sources = [
      ['postgres', postgresSource],
      ['redis', redisSource],
      ['ldap', ldapSource],
      ['jwks', jwksSource],
    ] as const;
    for (const [name, start] of sources) {
      const source = await start();
      servers.push(source.server);
      const tokens = 'tokens' in source ? source.tokens : undefined;
      const secret = tokens ? (i: number) => tokens[i]! : password;
      const rate = await measure(temp.dir, { name, auth: source.auth, secret });
      results[`${name}Cold`] = Number((rate.cold / baseRate).toFixed(2));
      results[`${name}Warm`] = Number((rate.warm / baseRate).toFixed(2));
      lines.push(
        `${name.padEnd(14)} ${rate.cold.toFixed(0).padStart(7)} ${rate.warm.toFixed(0).padStart(7)}   ` +
          `cold ${results[`${name}Cold`]!.toFixed(2)} warm ${results[`${name}Warm`]!.toFixed(2)}`,
      );
    }
  } finally {
    await Promise.all(servers.map((s) => s.remove()));
    await temp.remove();
  }
  console.log(
    `${'source'.padEnd(14)} ${'cold'.padStart(7)} ${'warm'.padStart(7)}   ratio to the password file`,
  );
  console.log(lines.join('\n'));
  console.log(JSON.stringify(results));
}

await main();
