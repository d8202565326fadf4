// The parts every external source shares: the lookup (timeout, bounded cache, negative TTL,
// stale rows on error, bounded queries in flight), stored password hashes, placeholders.
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { Lookup, SourceStats, TtlCache } from '../../src/auth/lookup.js';
import { fill, keyOf, toSqlParameters } from '../../src/auth/placeholders.js';
import {
  parsePasswordHash,
  verifyLdapPassword,
  verifyStoredPassword,
} from '../../src/auth/stored-password.js';

function lookup(options: ConstructorParameters<typeof Lookup>[1] = {}) {
  let clock = 0;
  const stats = new SourceStats('test', 'deny');
  const l = new Lookup<string | null>(stats, { now: () => clock, ...options }, (v) => v === null);
  return { lookup: l, stats, advance: (ms: number) => (clock += ms) };
}

const never = () => new Promise<string>(() => {});

describe('Lookup', () => {
  test('answers are cached for cacheTtlMs, negative ones for negativeTtlMs', async () => {
    const { lookup: l, stats, advance } = lookup({ cacheTtlMs: 1000, negativeTtlMs: 100 });
    let calls = 0;
    const query = (value: string | null) => async () => {
      calls++;
      return value;
    };
    await l.get('a', query('row'));
    await l.get('a', query('row'));
    await l.get('n', query(null));
    await l.get('n', query(null));
    assert.equal(calls, 2);
    advance(150);
    await l.get('n', query(null));
    await l.get('a', query('row'));
    assert.equal(calls, 3, 'the negative answer expired, the positive one did not');
    assert.equal(stats.requests, 6);
    assert.equal(stats.cacheHits, 3);
  });

  test('a query that does not answer within timeoutMs is an error, and is not cached', async () => {
    const { lookup: l, stats } = lookup({ timeoutMs: 20 });
    const answer = await l.get('a', never);
    assert.deepEqual(answer, { error: 'timeout after 20 ms' });
    assert.equal(l.cached('a'), undefined);
    assert.equal(stats.queries, 1);
  });

  test('identical queries in flight are shared; beyond maxPending a request fails at once', async () => {
    const { lookup: l } = lookup({ maxPending: 2, timeoutMs: 50 });
    let calls = 0;
    const slow = () => {
      calls++;
      return never();
    };
    const first = [l.get('a', slow), l.get('a', slow), l.get('b', slow)];
    const refused = await l.get('c', slow);
    assert.deepEqual(refused, { error: 'too many queries in flight' });
    await Promise.all(first);
    assert.equal(calls, 2);
  });

  test('staleOnError: a failed refresh answers with the expired entry', async () => {
    const { lookup: l, advance } = lookup({ cacheTtlMs: 100 });
    await l.get('a', async () => 'rows');
    advance(200);
    const failing = async (): Promise<string> => {
      throw new Error('ECONNREFUSED');
    };
    assert.deepEqual(await l.get('a', failing, true), { value: 'rows', stale: true });
    assert.ok('error' in (await l.get('a', failing, false)));
  });

  test('the cache is bounded: the oldest entry goes first', () => {
    const cache = new TtlCache<number>(2);
    cache.set('a', 1, 10);
    cache.set('b', 2, 10);
    cache.set('c', 3, 10);
    assert.equal(cache.size, 2);
    assert.equal(cache.entry('a'), undefined);
    assert.equal(cache.entry('c')?.value, 3);
  });
});

describe('stored passwords', () => {
  const bytes = (text: string) => Buffer.from(text);

  test('sha256 with the salt as prefix or suffix, hex', async () => {
    const hash = createHash('sha256').update('salt').update('pw').digest('hex');
    const prefix = parsePasswordHash({ algorithm: 'sha256', saltPosition: 'prefix' }, 'p');
    const suffix = parsePasswordHash({ algorithm: 'sha256', saltPosition: 'suffix' }, 'p');
    assert.equal(await verifyStoredPassword(bytes('pw'), { hash, salt: 'salt' }, prefix), true);
    assert.equal(await verifyStoredPassword(bytes('pw'), { hash, salt: 'salt' }, suffix), false);
    assert.equal(
      await verifyStoredPassword(bytes('pw'), { hash: 'zz', salt: 'salt' }, prefix),
      false,
    );
  });

  test('pbkdf2 with its digest and iterations', async () => {
    const hash = pbkdf2Sync('pw', 's', 10, 64, 'sha512').toString('hex');
    const options = parsePasswordHash(
      { algorithm: 'pbkdf2', digest: 'sha512', iterations: 10 },
      'p',
    );
    assert.equal(await verifyStoredPassword(bytes('pw'), { hash, salt: 's' }, options), true);
    assert.equal(await verifyStoredPassword(bytes('px'), { hash, salt: 's' }, options), false);
  });

  test('bcrypt refuses passwords it would silently cut: over 72 bytes, or holding NUL', async () => {
    const long = 'x'.repeat(72);
    const hash = bcrypt.hashSync(long, 4);
    const options = parsePasswordHash('bcrypt', 'p');
    assert.equal(await verifyStoredPassword(bytes(long), { hash }, options), true);
    assert.equal(await verifyStoredPassword(bytes(`${long}y`), { hash }, options), false);
    const nul = bcrypt.hashSync('ab', 4);
    assert.equal(await verifyStoredPassword(bytes('ab\u0000c'), { hash: nul }, options), false);
  });

  test('config errors name the key', () => {
    assert.throws(
      () => parsePasswordHash('md5', 'auth.x.passwordHash'),
      /auth\.x\.passwordHash\.algorithm: expected one of/,
    );
    assert.throws(
      () => parsePasswordHash({ algorithm: 'pbkdf2' }, 'p'),
      /p\.iterations: is required/,
    );
  });

  test('LDAP userPassword: {SSHA}, {SHA}; plain only when allowed; unknown schemes refused', () => {
    const salt = randomBytes(4);
    const digest = createHash('sha1').update('pw').update(salt).digest();
    const ssha = `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
    const sha = `{SHA}${createHash('sha1').update('pw').digest('base64')}`;
    assert.equal(verifyLdapPassword(bytes('pw'), ssha, false), true);
    assert.equal(verifyLdapPassword(bytes('px'), ssha, false), false);
    assert.equal(verifyLdapPassword(bytes('pw'), sha, false), true);
    assert.equal(verifyLdapPassword(bytes('pw'), 'pw', false), false);
    assert.equal(verifyLdapPassword(bytes('pw'), 'pw', true), true);
    assert.equal(verifyLdapPassword(bytes('pw'), '{CRYPT}pw', true), false);
  });
});

describe('placeholders', () => {
  test('SQL: each placeholder becomes one numbered parameter, reused when repeated', () => {
    const sql = toSqlParameters(
      'SELECT 1 WHERE u = ${username} OR c = ${clientid} OR u2 = ${username}',
      'p',
    );
    assert.deepEqual(sql, {
      text: 'SELECT 1 WHERE u = $1 OR c = $2 OR u2 = $1',
      names: ['username', 'clientid'],
    });
  });

  test('a value with NUL, or a missing one, finds nobody', () => {
    assert.equal(keyOf(['username'], { username: 'a\u0000' }), undefined);
    assert.equal(keyOf(['username'], {}), undefined);
    assert.equal(
      keyOf(['username', 'clientid'], { username: 'a', clientid: 'b' }),
      'a\u0000b\u0000',
    );
    assert.equal(
      fill('k:${username}', {}, (v) => v),
      undefined,
    );
  });
});
