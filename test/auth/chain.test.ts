import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { AclFileAuthorizer, parseAclFile } from '../../src/auth/acl-file.js';
import { AuthChain, AuthorizerChain, createAuth } from '../../src/auth/chain.js';
import type { AccessDenial, AuthFailure } from '../../src/auth/decision.js';
import { HttpAuthenticator, HttpHook } from '../../src/auth/http-hook.js';
import { JwtAuthenticator, JwtClaimAuthorizer } from '../../src/auth/jwt.js';
import {
  hashPassword,
  PasswordFileAuthenticator,
  parsePasswordFile,
} from '../../src/auth/password-file.js';
import { deriveScramCredential } from '../../src/auth/scram.js';
import type { Authorizer, ConnectRequest, MessageRecord } from '../../src/broker/ports.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/constants.js';
import { client, makeTempDir } from './helpers.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const message: MessageRecord = {
  topic: 't',
  payload: new Uint8Array(),
  qos: 0,
  retain: false,
  properties: {},
};

function connect(username?: string, password?: string): ConnectRequest {
  return {
    clientId: 'c1',
    username,
    password: password === undefined ? undefined : Buffer.from(password),
    protocolVersion: ProtocolVersion.V5,
    remoteAddress: '127.0.0.1',
  };
}

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let passwords: PasswordFileAuthenticator;
let jwt: JwtAuthenticator;
let server: Server;
let url: string;
let httpResult: string;
before(async () => {
  temp = await makeTempDir();
  passwords = new PasswordFileAuthenticator(
    parsePasswordFile(`alice:${await hashPassword('wonderland')}\n`, 'f'),
  );
  jwt = await JwtAuthenticator.create({ secret: SECRET });
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (httpResult === 'down') response.writeHead(503).end();
      else response.writeHead(200).end(JSON.stringify({ result: httpResult }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await temp.remove();
});

describe('AuthChain', () => {
  test('nothing configured: anonymous allowed and any user name taken', async () => {
    const chain = new AuthChain([]);
    assert.equal(chain.allowAnonymous, true);
    assert.deepEqual(await chain.authenticate(connect()), { ok: true });
    assert.deepEqual(await chain.authenticate(connect('bob', 'x')), { ok: true, username: 'bob' });
  });

  test('anonymous access is off once an authenticator is configured, unless enabled [MQTT-3.1.4-2]', async () => {
    const strict = new AuthChain([passwords]);
    assert.equal(strict.allowAnonymous, false);
    const refused = (await strict.authenticate(connect())) as AuthFailure;
    assert.equal(refused.reasonCode, ReasonCode.NotAuthorized);
    const open = new AuthChain([passwords], { allowAnonymous: true });
    assert.deepEqual(await open.authenticate(connect()), { ok: true });
    assert.equal(
      (await open.authenticate(connect('alice', 'wrong'))).ok,
      false,
      'credentials are still checked',
    );
    assert.equal((await open.authenticate(connect('alice', 'wonderland'))).ok, true);
    const none = new AuthChain([], { allowAnonymous: false });
    assert.equal((await none.authenticate(connect('alice', 'wonderland'))).ok, false);
  });

  test('tried in order: a bad password in one and success in a later one is success', async () => {
    const chain = new AuthChain([passwords, jwt]);
    const result = await chain.authenticate(connect('alice', await token({ sub: 'alice' })));
    assert.equal(result.ok, true);
    assert.equal(
      result.ok && (result.attributes?.jwt as { sub?: string } | undefined)?.sub,
      'alice',
    );
    assert.equal((await chain.authenticate(connect('alice', 'wonderland'))).ok, true);
  });

  test('all refuse: the most specific failure is reported', async () => {
    const chain = new AuthChain([jwt, passwords]);
    const wrong = (await chain.authenticate(connect('alice', 'nope'))) as AuthFailure;
    assert.equal(wrong.reasonString, 'wrong password', 'the password file knew alice');
    const expired = await new SignJWT({ exp: 1 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    const stale = (await chain.authenticate(connect('carol', expired))) as AuthFailure;
    assert.equal(stale.reasonString, 'token expired', 'not: unknown user');
    httpResult = 'down';
    const withHttp = new AuthChain([
      passwords,
      new HttpAuthenticator(new HttpHook({ url, cacheTtlMs: 0 })),
    ]);
    const unavailable = (await withHttp.authenticate(connect('dave', 'x'))) as AuthFailure;
    assert.equal(unavailable.reasonCode, ReasonCode.ServerUnavailable, 'worth retrying');
    const thrower = { authenticate: () => Promise.reject(new Error('bug')) };
    const robust = new AuthChain([thrower, passwords]);
    assert.equal((await robust.authenticate(connect('alice', 'wonderland'))).ok, true);
  });
});

describe('AuthorizerChain', () => {
  const acl = new AclFileAuthorizer(
    parseAclFile(
      'user alice\ntopic readwrite a/#\ntopic read b/#\ntopic deny a/secret',
      'acl.conf',
    ),
    {
      file: 'acl.conf',
      noMatch: 'ignore',
    },
  );
  const claims = new JwtClaimAuthorizer();
  const alice = client();
  const aliceWithToken = client({ attributes: { jwt: { acl: { pub: ['a/x'], sub: ['#'] } } } });

  test('no authorizer: everything is allowed', () => {
    const chain = new AuthorizerChain([]);
    assert.equal(chain.authorizePublish(alice, 'any', message), true);
    assert.equal(chain.authorizeSubscribe(alice, '#'), true);
    assert.equal(chain.authorizeRead(alice, '$SYS/x'), true);
  });

  test("mode 'all': every authorizer with an opinion must allow; answers stay synchronous", () => {
    const chain = new AuthorizerChain([acl, claims]);
    assert.equal(chain.authorizePublish(alice, 'a/y', message), true, 'no token: claims abstain');
    assert.equal(chain.authorizePublish(aliceWithToken, 'a/x', message), true);
    assert.equal(chain.authorizePublish(aliceWithToken, 'a/y', message), false, 'the claims deny');
    assert.equal(chain.authorizeSubscribe(aliceWithToken, 'b/+'), true);
    assert.equal(chain.authorizeSubscribe(aliceWithToken, 'c/+'), true, 'the file abstains');
    assert.equal(chain.authorizeSubscribe(alice, 'c/+'), false, 'nobody has a rule: deny');
    assert.equal(chain.authorizeRead(aliceWithToken, 'b/1'), true);
    // Delivery with no read rule anywhere: the subscription was checked at SUBSCRIBE.
    assert.equal(chain.authorizeRead(alice, 'c/1'), true);
    const narrow = client({ attributes: { jwt: { acl: { sub: ['b/#'] } } } });
    assert.equal(chain.authorizeRead(narrow, 'c/1'), false, 'the claims have rules, none matches');
    assert.equal(
      new AuthorizerChain([acl], { noMatch: 'allow' }).authorizeSubscribe(alice, 'c/+'),
      true,
    );
  });

  test("mode 'first': the first authorizer with an opinion decides", () => {
    const chain = new AuthorizerChain([claims, acl], { mode: 'first' });
    assert.equal(chain.authorizePublish(aliceWithToken, 'a/y', message), false, 'claims first');
    const reversed = new AuthorizerChain([acl, claims], { mode: 'first' });
    assert.equal(reversed.authorizePublish(aliceWithToken, 'a/y', message), true, 'file first');
    assert.equal(reversed.authorizePublish(aliceWithToken, 'z', message), false, 'claims: no rule');
  });

  test('plain port authorizers, asynchronous ones too, take part; denials are logged once', async () => {
    const denials: AccessDenial[] = [];
    const remote: Authorizer = {
      authorizePublish: async (_client, topic) => topic !== 'a/blocked',
      authorizeSubscribe: () => true,
    };
    const chain = new AuthorizerChain([acl, remote], { log: (d) => denials.push(d) });
    const allowed = chain.authorizePublish(alice, 'a/ok', message);
    assert.ok(allowed instanceof Promise);
    assert.equal(await allowed, true);
    assert.equal(await chain.authorizePublish(alice, 'a/blocked', message), false);
    assert.equal(
      chain.authorizePublish(alice, 'a/secret', message),
      false,
      'the file denies first, synchronously',
    );
    assert.equal(chain.authorizeRead(alice, 'b/1'), true, 'no authorizeRead: no opinion');
    assert.deepEqual(
      denials.map(({ source, topic, rule }) => ({ source, topic, rule })),
      [
        { source: 'Object', topic: 'a/blocked', rule: 'no Object rule matched' },
        { source: 'acl-file', topic: 'a/secret', rule: 'acl.conf:4 topic deny a/secret' },
      ],
    );
  });
});

describe('createAuth', () => {
  test('an empty section: anonymous access and no restrictions', async () => {
    const auth = await createAuth({});
    assert.deepEqual(await auth.authenticator.authenticate(connect()), { ok: true });
    assert.equal(await auth.authorizer.authorizeSubscribe(client(), '#'), true);
    assert.equal(auth.enhanced.size, 0);
  });

  test('password file and ACL file, by path; reload() re-reads both', async () => {
    const passwordFile = join(temp.dir, 'pw');
    const aclFile = join(temp.dir, 'acl');
    await writeFile(passwordFile, `alice:${await hashPassword('wonderland')}\n`);
    await writeFile(aclFile, 'user alice\ntopic read a/+\n');
    const denials: AccessDenial[] = [];
    const auth = await createAuth({ passwordFile, aclFile }, { log: (d) => denials.push(d) });
    assert.equal((await auth.authenticator.authenticate(connect())).ok, false);
    assert.equal((await auth.authenticator.authenticate(connect('alice', 'wonderland'))).ok, true);
    assert.equal(await auth.authorizer.authorizeSubscribe(client(), 'a/+'), true);
    assert.equal(await auth.authorizer.authorizeSubscribe(client(), 'a/#'), false);
    assert.equal(denials[0]!.rule, `${aclFile}: no rule matched`);
    await writeFile(aclFile, 'user alice\ntopic read a/#\n');
    await auth.reload();
    assert.equal(await auth.authorizer.authorizeSubscribe(client(), 'a/#'), true);
  });

  test('jwt with aclClaim, http, scram; anonymous off because of scram alone', async () => {
    const jwtOnly = await createAuth({ jwt: { secret: SECRET, aclClaim: 'acl' } });
    const result = await jwtOnly.authenticator.authenticate(
      connect(undefined, await token({ acl: { pub: ['x'] } })),
    );
    assert.equal(result.ok, true);
    const c = client({ attributes: result.ok ? (result.attributes ?? {}) : {} });
    assert.equal(await jwtOnly.authorizer.authorizePublish(c, 'x', message), true);
    assert.equal(await jwtOnly.authorizer.authorizePublish(c, 'y', message), false);
    httpResult = 'allow';
    const http = await createAuth({ http: { url, authenticate: false } });
    assert.equal(http.authenticator.authenticators.length, 0);
    assert.equal(await http.authorizer.authorizePublish(client(), 'x', message), true);
    assert.equal(
      http.authorizer.authorizeRead(client(), 'x'),
      true,
      'the hook is asked at SUBSCRIBE',
    );
    const scram = await createAuth({ scram: { users: { u: await deriveScramCredential('p') } } });
    assert.ok(scram.enhanced.get('SCRAM-SHA-256'));
    assert.equal(scram.authenticator.allowAnonymous, false);
  });

  test('sections join the chain in the order they are written', async () => {
    const passwordFile = join(temp.dir, 'order.pw');
    await writeFile(passwordFile, `alice:${await hashPassword('wonderland')}\n`);
    const names = async (config: object) =>
      (await createAuth(config)).authenticator.authenticators.map((a) => a.constructor.name);
    const jwtConfig = { secret: SECRET };
    assert.deepEqual(await names({ passwordFile, jwt: jwtConfig }), [
      'PasswordFileAuthenticator',
      'JwtAuthenticator',
    ]);
    assert.deepEqual(await names({ jwt: jwtConfig, passwordFile }), [
      'JwtAuthenticator',
      'PasswordFileAuthenticator',
    ]);
  });

  test('invalid configuration names the key and what is allowed', async () => {
    await assert.rejects(
      createAuth({ passwrdFile: 'x' }),
      /^AuthConfigError: auth\.passwrdFile: unknown key \(allowed: allowAnonymous, passwordFile/,
    );
    await assert.rejects(
      createAuth({ allowAnonymous: 'yes' }),
      /auth\.allowAnonymous: expected true or false/,
    );
    await assert.rejects(
      createAuth({ authorization: { mode: 'any' } }),
      /auth\.authorization\.mode: expected one of all, first/,
    );
    await assert.rejects(
      createAuth({ http: { url, authenticate: false, authorize: false } }),
      /auth\.http: authenticate and authorize/,
    );
    await assert.rejects(
      createAuth({ jwt: { secret: SECRET, aclClaim: 3 } }),
      /auth\.jwt\.aclClaim: expected a non-empty string/,
    );
    await assert.rejects(
      createAuth({ aclFile: { path: 'x' } }),
      /auth\.aclFile\.path: unknown key/,
    );
    await assert.rejects(createAuth([]), /auth: expected an object/);
  });
});
