import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { AccessDenial, AuthFailure } from '../../src/auth/decision.js';
import { JwtAuthenticator, JwtClaimAuthorizer } from '../../src/auth/jwt.js';
import type { AuthResult, ConnectRequest, MessageRecord } from '../../src/broker/ports.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/constants.js';
import { client, makeTempDir } from './helpers.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const secretKey = new TextEncoder().encode(SECRET);
const message: MessageRecord = {
  topic: 't',
  payload: new Uint8Array(),
  qos: 0,
  retain: false,
  properties: {},
};
const now = () => Math.floor(Date.now() / 1000);

function connect(token: string | undefined, username?: string): ConnectRequest {
  return {
    clientId: 'c1',
    username,
    password: token === undefined ? undefined : Buffer.from(token),
    protocolVersion: ProtocolVersion.V5,
    remoteAddress: '127.0.0.1',
  };
}

function sign(
  claims: JWTPayload,
  key: Parameters<SignJWT['sign']>[0] = secretKey,
  header: { alg: string; kid?: string } = { alg: 'HS256' },
) {
  return new SignJWT({ exp: now() + 60, ...claims }).setProtectedHeader(header).sign(key);
}

function assertRefused(result: AuthResult, reason: RegExp) {
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.reasonCode, ReasonCode.BadUserNameOrPassword);
  assert.match(result.reasonString ?? '', reason);
}

let temp: Awaited<ReturnType<typeof makeTempDir>>;
before(async () => {
  temp = await makeTempDir();
});
after(() => temp.remove());

describe('JwtAuthenticator with an HMAC secret', () => {
  test('a valid token in the password field is accepted and its claims kept', async () => {
    const auth = await JwtAuthenticator.fromConfig({ secret: SECRET });
    const result = await auth.authenticate(
      connect(await sign({ sub: 'alice', role: 'x' }), 'alice'),
    );
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.username, 'alice');
    assert.equal(result.ok && (result.attributes?.jwt as JWTPayload | undefined)?.role, 'x');
  });

  test('exp and nbf are checked, with a small clock tolerance [MQTT-3.1.4-2]', async () => {
    const auth = await JwtAuthenticator.fromConfig({ secret: SECRET, clockToleranceSeconds: 5 });
    assertRefused(await auth.authenticate(connect(await sign({ exp: now() - 60 }))), /expired/);
    assert.equal((await auth.authenticate(connect(await sign({ exp: now() - 2 })))).ok, true);
    assertRefused(await auth.authenticate(connect(await sign({ nbf: now() + 60 }))), /"nbf"/);
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(secretKey);
    assertRefused(await auth.authenticate(connect(noExp)), /"exp"/);
    const lax = await JwtAuthenticator.fromConfig({ secret: SECRET, requireExpiration: false });
    assert.equal((await lax.authenticate(connect(noExp))).ok, true);
  });

  test('bad signatures, other algorithms and non-tokens are refused', async () => {
    const auth = await JwtAuthenticator.fromConfig({ secret: SECRET, algorithms: ['HS256'] });
    const other = new TextEncoder().encode('another-secret-that-is-32-bytes-long!!');
    assertRefused(await auth.authenticate(connect(await sign({}, other))), /signature/);
    const hs512 = await sign({}, secretKey, { alg: 'HS512' });
    assertRefused(await auth.authenticate(connect(hs512)), /algorithm/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      `{"exp":${now() + 60}}`,
    ).toString('base64url')}.`;
    assert.equal((await auth.authenticate(connect(unsigned))).ok, false);
    const plain = await auth.authenticate(connect('just a password', 'alice'));
    assert.equal(
      (plain as AuthFailure).recognized,
      false,
      'not a JWT: left to other authenticators',
    );
    assert.equal((await auth.authenticate(connect(undefined, 'alice'))).ok, false);
  });

  test('issuer, audience and the username claim', async () => {
    const auth = await JwtAuthenticator.fromConfig({
      secret: SECRET,
      issuer: 'https://issuer.example',
      audience: ['mqtt'],
      usernameClaim: 'sub',
    });
    const good = { iss: 'https://issuer.example', aud: 'mqtt', sub: 'bob' };
    assert.equal((await auth.authenticate(connect(await sign(good), 'bob'))).ok, true);
    const adopted = await auth.authenticate(connect(await sign(good)));
    assert.equal(
      adopted.ok && adopted.username,
      'bob',
      'no CONNECT user name: the claim names the user',
    );
    assertRefused(await auth.authenticate(connect(await sign(good), 'alice')), /"sub"/);
    assertRefused(
      await auth.authenticate(connect(await sign({ ...good, iss: 'x' }), 'bob')),
      /"iss"/,
    );
    assertRefused(
      await auth.authenticate(connect(await sign({ ...good, aud: 'web' }), 'bob')),
      /"aud"/,
    );
  });

  test('config errors name the key', async () => {
    await assert.rejects(JwtAuthenticator.fromConfig({ secret: 'short' }), /auth\.jwt: .*32 bytes/);
    await assert.rejects(JwtAuthenticator.fromConfig({}), /auth\.jwt: exactly one of/);
    await assert.rejects(
      JwtAuthenticator.fromConfig({ secret: SECRET, jwksFile: 'x' }),
      /exactly one/,
    );
    await assert.rejects(
      JwtAuthenticator.fromConfig({ secret: SECRET, algo: 'HS256' }),
      /auth\.jwt\.algo: unknown key/,
    );
    await assert.rejects(
      JwtAuthenticator.fromConfig({ secret: SECRET, clockToleranceSeconds: -1 }),
      /auth\.jwt\.clockToleranceSeconds: expected an integer/,
    );
  });
});

describe('JwtAuthenticator with public keys', () => {
  test('RS256 and ES256 PEM keys; a token of another key type is refused', async () => {
    // A node KeyObject can sign both RS* and PS*; a WebCrypto key is bound to one algorithm.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const rsaFile = join(temp.dir, 'rsa.pem');
    const ecFile = join(temp.dir, 'ec.pem');
    await writeFile(rsaFile, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(ecFile, await exportSPKI(ec.publicKey));
    const rsaAuth = await JwtAuthenticator.fromConfig({ publicKeyFile: rsaFile });
    const ecAuth = await JwtAuthenticator.fromConfig({ publicKeyFile: ecFile });
    const rsaToken = await sign({ sub: 'r' }, rsa.privateKey, { alg: 'RS256' });
    const psToken = await sign({ sub: 'p' }, rsa.privateKey, { alg: 'PS384' });
    const ecToken = await sign({ sub: 'e' }, ec.privateKey, { alg: 'ES256' });
    assert.equal((await rsaAuth.authenticate(connect(rsaToken))).ok, true);
    assert.equal((await rsaAuth.authenticate(connect(psToken))).ok, true);
    assert.equal((await ecAuth.authenticate(connect(ecToken))).ok, true);
    assert.equal((await rsaAuth.authenticate(connect(ecToken))).ok, false);
    assert.equal((await ecAuth.authenticate(connect(rsaToken))).ok, false);
    // HS256 signed with the public key's text: the classic algorithm confusion.
    const confused = await sign({}, new TextEncoder().encode(await readFile(rsaFile, 'utf8')));
    assert.equal((await rsaAuth.authenticate(connect(confused))).ok, false);
  });

  test('a JWKS file picks the key by kid; reload() reads a rotated set', async () => {
    const first = await generateKeyPair('ES256', { extractable: true });
    const second = await generateKeyPair('RS256', { extractable: true });
    const jwk = async (key: CryptoKey, kid: string, alg: string) => ({
      ...(await exportJWK(key)),
      kid,
      alg,
    });
    const file = join(temp.dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [await jwk(first.publicKey, 'k1', 'ES256')] }));
    const auth = await JwtAuthenticator.fromConfig({ jwksFile: file });
    const token1 = await sign({}, first.privateKey, { alg: 'ES256', kid: 'k1' });
    const token2 = await sign({}, second.privateKey, { alg: 'RS256', kid: 'k2' });
    assert.equal((await auth.authenticate(connect(token1))).ok, true);
    assertRefused(await auth.authenticate(connect(token2)), /no key/);
    await writeFile(file, JSON.stringify({ keys: [await jwk(second.publicKey, 'k2', 'RS256')] }));
    await auth.reload();
    assert.equal((await auth.authenticate(connect(token2))).ok, true);
    assert.equal((await auth.authenticate(connect(token1))).ok, false, 'k1 was rotated out');
  });
});

describe('JwtClaimAuthorizer', () => {
  const jwtClient = (jwt: unknown, overrides = {}) => client({ attributes: { jwt }, ...overrides });

  test('EMQX-style allow lists with %u and %c; sub rules are checked as filters', () => {
    const authz = new JwtClaimAuthorizer();
    const c = jwtClient(
      { acl: { pub: ['a/#', 'users/%u/out'], sub: ['b/+', 'devices/%c/#'] } },
      { username: 'alice', clientId: 'dev1' },
    );
    assert.equal(authz.authorizePublish(c, 'a/x/y', message), true);
    assert.equal(authz.authorizePublish(c, 'users/alice/out', message), true);
    assert.equal(authz.authorizePublish(c, 'users/bob/out', message), false);
    assert.equal(authz.authorizePublish(c, 'b/x', message), false, 'sub is not pub');
    assert.equal(authz.authorizeSubscribe(c, 'b/+'), true);
    assert.equal(authz.authorizeSubscribe(c, 'b/#'), false, 'b/# reaches b/x/y');
    assert.equal(authz.authorizeSubscribe(c, '#'), false);
    assert.equal(authz.authorizeSubscribe(c, 'devices/dev1/#'), true);
    assert.equal(authz.authorizeRead(c, 'b/x'), true);
    assert.equal(authz.authorizeRead(c, 'a/x'), false);
  });

  test('EMQX 5 rule lists: first match wins, all covers both actions, $SYS needs naming [MQTT-4.7.2-1]', () => {
    const denials: AccessDenial[] = [];
    const authz = new JwtClaimAuthorizer({ claim: 'rules', log: (d) => denials.push(d) });
    const c = jwtClient({
      rules: [
        { permission: 'deny', action: 'all', topic: 'secret/#' },
        { permission: 'allow', action: 'all', topics: ['#'] },
      ],
    });
    assert.equal(authz.authorizePublish(c, 'open/x', message), true);
    assert.equal(authz.authorizePublish(c, 'secret/x', message), false);
    assert.equal(authz.authorizeSubscribe(c, 'secret/+'), false);
    assert.equal(authz.authorizeSubscribe(c, '#'), true);
    assert.equal(authz.authorizeRead(c, 'secret/x'), false, 'filtered at delivery');
    assert.equal(authz.authorizeRead(c, '$SYS/uptime'), false);
    assert.equal(denials[0]!.rule, 'jwt claim rules[0] deny all secret/#');
  });

  test('no claims means no opinion; malformed claims and expired tokens deny', () => {
    let clock = Date.now();
    const authz = new JwtClaimAuthorizer({ now: () => clock });
    assert.equal(authz.decide(client(), 'publish', 'a').decision, 'ignore');
    assert.equal(authz.decide(jwtClient({ sub: 'x' }), 'publish', 'a').decision, 'ignore');
    assert.equal(
      authz.authorizePublish(client(), 'a', message),
      false,
      'standalone: no rule, no access',
    );
    for (const acl of [
      'a/#',
      { pub: 'a/#' },
      { push: ['a'] },
      [{ permission: 'maybe', action: 'all', topic: 'a' }],
      { pub: ['a/#/b'] },
    ]) {
      assert.deepEqual(authz.decide(jwtClient({ acl }), 'publish', 'a'), {
        decision: 'deny',
        rule: 'jwt claim acl: malformed',
      });
    }
    const c = jwtClient({ exp: Math.floor(clock / 1000) + 10, acl: { all: ['#'] } });
    assert.equal(authz.authorizePublish(c, 'a', message), true);
    clock += 11_000;
    assert.equal(
      authz.authorizePublish(c, 'a', message),
      false,
      'the token ran out while connected',
    );
  });

  test('fromConfig', () => {
    const authz = JwtClaimAuthorizer.fromConfig({ claim: 'perm', enforceExpiry: false });
    assert.equal(
      authz.authorizePublish(jwtClient({ perm: { pub: ['x'] }, exp: 1 }), 'x', message),
      true,
    );
    assert.throws(
      () => JwtClaimAuthorizer.fromConfig({ claims: 'x' }),
      /auth\.jwt\.acl\.claims: unknown key/,
    );
  });
});
