import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  deriveScramCredential,
  type ScramCredential,
  ScramSha256Authenticator,
  saslPrep,
} from '../../src/auth/scram.js';
import type { AuthStep, ConnectRequest } from '../../src/broker/ports.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/constants.js';
import { makeTempDir } from './helpers.js';
import { ScramClient } from './scram-client.js';

const request = (username?: string): ConnectRequest => ({
  clientId: 'c1',
  username,
  protocolVersion: ProtocolVersion.V5,
  remoteAddress: '127.0.0.1',
});

let server: ScramSha256Authenticator;
before(async () => {
  const credentials = new Map<string, ScramCredential>([
    ['alice', await deriveScramCredential('wonderland')],
    ['b,o=b', await deriveScramCredential('builder', { iterations: 5000 })],
  ]);
  server = new ScramSha256Authenticator(credentials);
});

const text = (data: Uint8Array | undefined) => Buffer.from(data ?? []).toString('utf8');

function assertFailed(step: AuthStep, reasonCode: number, error: string) {
  assert.equal(step.done, true);
  if (!step.done) return;
  assert.deepEqual(step.result, { ok: false, reasonCode, reasonString: `SCRAM: ${error}` });
  assert.equal(text(step.data), `e=${error}`);
}

/** Runs CONNECT (client-first) → AUTH (server-first) → AUTH (client-final) → CONNACK. */
async function exchange(client: ScramClient, tamper?: Parameters<ScramClient['clientFinal']>[1]) {
  const state = new Map<string, unknown>();
  const first = await server.start(request(), client.clientFirst(), state);
  assert.equal(first.done, false, 'server-first is a continue step [MQTT-4.12.0-2]');
  if (first.done) throw new Error('unreachable');
  const final = await server.continue(client.clientFinal(first.data, tamper), state);
  return { first, final, state };
}

describe('ScramSha256Authenticator', () => {
  test('a full exchange authenticates both sides', async () => {
    assert.equal(server.method, 'SCRAM-SHA-256');
    const client = new ScramClient('alice', 'wonderland');
    const { first, final, state } = await exchange(client);
    assert.match(
      text(first.data),
      new RegExp(`^r=${client.clientNonce.replace(/[+/]/g, '\\$&')}.+,s=.+,i=4096$`),
    );
    assert.equal(final.done, true);
    assert.deepEqual(final.done && final.result, { ok: true, username: 'alice' });
    assert.equal(client.verifyServerFinal(final.data), true, 'server-final proves the server');
    assert.equal(state.size, 0, 'nothing left behind');
  });

  test('user names with , and = are escaped; iteration counts come from the credential', async () => {
    const client = new ScramClient('b,o=b', 'builder');
    const { first, final } = await exchange(client);
    assert.match(text(first.data), /,i=5000$/);
    assert.equal(final.done && final.result.ok, true);
  });

  test('a wrong password fails with 0x86 and e=invalid-proof [MQTT-4.12.0-4]', async () => {
    const client = new ScramClient('alice', 'wonderlanD');
    const { final } = await exchange(client);
    assertFailed(final, ReasonCode.BadUserNameOrPassword, 'invalid-proof');
    const flipped = await exchange(new ScramClient('alice', 'wonderland'), {
      proof: (proof) => Buffer.from(proof.map((byte, i) => (i === 0 ? byte ^ 1 : byte))),
    });
    assertFailed(flipped.final, ReasonCode.BadUserNameOrPassword, 'invalid-proof');
  });

  test('a tampered nonce fails even with the right password', async () => {
    const client = new ScramClient('alice', 'wonderland');
    const { final } = await exchange(client, { nonce: (nonce) => `${nonce}x` });
    assertFailed(final, ReasonCode.NotAuthorized, 'other-error');
    const replay = await exchange(new ScramClient('alice', 'wonderland'), {
      nonce: (nonce) => nonce.slice(0, -1),
    });
    assert.equal(replay.final.done && replay.final.result.ok, false);
  });

  test('unknown users get a plausible challenge and then fail like a wrong password', async () => {
    const state = new Map<string, unknown>();
    const client = new ScramClient('nobody', 'x');
    const first = await server.start(request(), client.clientFirst(), state);
    assert.equal(first.done, false);
    assert.match(text(first.data), /,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    const again = await server.start(
      request(),
      new ScramClient('nobody', 'x').clientFirst(),
      new Map(),
    );
    assert.equal(text(first.data).split(',s=')[1], text(again.data).split(',s=')[1], 'stable salt');
    const final = await server.continue(
      client.clientFinal(first.done ? new Uint8Array() : first.data),
      state,
    );
    assertFailed(final, ReasonCode.BadUserNameOrPassword, 'invalid-proof');
  });

  test('client-first may come in an AUTH after an empty challenge', async () => {
    const state = new Map<string, unknown>();
    const client = new ScramClient('alice', 'wonderland');
    const empty = await server.start(request(), undefined, state);
    assert.deepEqual(empty, { done: false, data: new Uint8Array(0) });
    const first = await server.continue(client.clientFirst(), state);
    assert.equal(first.done, false);
    const final = await server.continue(
      client.clientFinal(first.done ? new Uint8Array() : first.data),
      state,
    );
    assert.equal(final.done && final.result.ok, true);
  });

  test('malformed or unsupported client messages are refused', async () => {
    const cases: [string, string][] = [
      ['p=tls-unique,,n=alice,r=abc', 'channel-binding-not-supported'],
      ['x,,n=alice,r=abc', 'invalid-encoding'],
      ['n,,m=ext,n=alice,r=abc', 'extensions-not-supported'],
      ['n,,n=al=ice,r=abc', 'invalid-encoding'],
      ['n,,n=alice', 'invalid-encoding'],
      ['n,,n=alice,r=a,b', 'invalid-encoding'],
      ['n,a=bob,n=alice,r=abc', 'other-error'],
      ['n,,n=,r=abc', 'invalid-encoding'],
    ];
    for (const [message, error] of cases) {
      const step = await server.start(request(), Buffer.from(message), new Map());
      assertFailed(step, ReasonCode.NotAuthorized, error);
    }
    assert.equal(
      (await server.start(request(), Buffer.from('n,a=alice,n=alice,r=abc'), new Map())).done,
      false,
    );
    assertFailed(
      await server.continue(Buffer.from('c=biws'), new Map()),
      ReasonCode.ProtocolError,
      'other-error',
    );
  });

  test('the CONNECT User Name, when given, must be the SCRAM user', async () => {
    const step = await server.start(
      request('mallory'),
      new ScramClient('alice', 'wonderland').clientFirst(),
      new Map(),
    );
    assertFailed(step, ReasonCode.NotAuthorized, 'other-error');
  });

  test('channel binding flag y and a gs2 header mismatch', async () => {
    const yes = await exchange(new ScramClient('alice', 'wonderland', { gs2Header: 'y,,' }));
    assert.equal(yes.final.done && yes.final.result.ok, true);
    const state = new Map<string, unknown>();
    const client = new ScramClient('alice', 'wonderland');
    const first = await server.start(request(), client.clientFirst(), state);
    const final = client.clientFinal(first.done ? new Uint8Array() : first.data);
    const swapped = Buffer.from(text(final).replace('c=biws', 'c=eSws'));
    assertFailed(
      await server.continue(swapped, state),
      ReasonCode.NotAuthorized,
      'channel-bindings-dont-match',
    );
  });
});

describe('RFC 7677 section 3 example', () => {
  test('the server side reproduces the published exchange', async () => {
    const credential = await deriveScramCredential('pencil', {
      salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      iterations: 4096,
    });
    const rfc = new ScramSha256Authenticator(new Map([['user', credential]]), {
      serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    });
    const state = new Map<string, unknown>();
    const first = await rfc.start(
      request(),
      Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'),
      state,
    );
    assert.equal(
      text(first.data),
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = await rfc.continue(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
      state,
    );
    assert.equal(final.done && final.result.ok, true);
    assert.equal(text(final.data), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });
});

describe('credentials', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    temp = await makeTempDir();
  });
  after(() => temp.remove());

  test('fromConfig reads a credentials file or inline users, and names mistakes', async () => {
    const file = join(temp.dir, 'scram.json');
    await writeFile(file, JSON.stringify({ carol: await deriveScramCredential('pw') }));
    const fromFile = await ScramSha256Authenticator.fromConfig({ credentialsFile: file });
    const client = new ScramClient('carol', 'pw');
    const state = new Map<string, unknown>();
    const first = await fromFile.start(request(), client.clientFirst(), state);
    const final = await fromFile.continue(
      client.clientFinal(first.done ? new Uint8Array() : first.data),
      state,
    );
    assert.equal(final.done && final.result.ok, true);
    const inline = await ScramSha256Authenticator.fromConfig({
      users: { dan: await deriveScramCredential('x') },
    });
    assert.equal(inline.method, 'SCRAM-SHA-256');
    await assert.rejects(
      ScramSha256Authenticator.fromConfig({}),
      /auth\.scram: expected exactly one/,
    );
    await assert.rejects(
      ScramSha256Authenticator.fromConfig({ users: { eve: { salt: 'AA==', iterations: 4096 } } }),
      /auth\.scram\.users: eve/,
    );
  });

  test('saslPrep maps non-ASCII spaces, drops soft hyphens, and normalizes NFKC', () => {
    assert.equal(saslPrep('I\u00adX'), 'IX');
    assert.equal(saslPrep('a\u00a0b'), 'a b');
    assert.equal(saslPrep('\u2168'), 'IX');
    assert.equal(saslPrep('\u00aa'), 'a');
  });
});
