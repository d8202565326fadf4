// JWT keys from a JWKS endpoint: a Node HTTPS server (test CA) whose key set rotates.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createAuth } from '../../src/auth/index.js';
import { ReasonCode } from '../../src/protocol/constants.js';
import { makePki, makeTempDir, SERVER_EXTENSIONS } from '../security/fixtures/certs.js';
import { connectRequest } from './helpers.js';
import { outageUnderLoad, startAuthBroker } from './source-harness.js';

type Key = { kid: string; privateKey: CryptoKey; jwk: JWK };

async function makeKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

const sign = (key: Key, sub: string) =>
  new SignJWT({ sub, exp: Math.floor(Date.now() / 1000) + 60 })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .sign(key.privateKey);

/** The endpoint: serves `published` (or `body` when set), counts fetches, can stop and start. */
class JwksEndpoint {
  published: Key[] = [];
  body?: string;
  fetches = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly tls: { cert: Buffer; key: Buffer }) {}

  async start(): Promise<void> {
    this.server = createServer(this.tls, (_request, response) => {
      this.fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(this.body ?? JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
    });
    // Every socket, TLS handshakes that never finished included (closeAllConnections misses them).
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }
}

let endpoint: JwksEndpoint;
let caFile: string;
let keys: Key[];
const temp = await makeTempDir('culex-jwks-');

before(async () => {
  const pki = await makePki(temp.dir);
  const tls = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
  caFile = pki.ca;
  endpoint = new JwksEndpoint({ cert: await readFile(tls.cert), key: await readFile(tls.key) });
  await endpoint.start();
  keys = await Promise.all(['k1', 'k2', 'k3', 'k4'].map(makeKey));
});
after(async () => {
  await endpoint.stop();
  await temp.remove();
});

const jwt = (extra: Record<string, unknown> = {}) => ({
  jwksUrl: endpoint.url,
  jwksCaFile: caFile,
  jwksCooldownMs: 0,
  jwksTimeoutMs: 1000,
  usernameClaim: 'sub',
  ...extra,
});

const request = (token: string) => connectRequest(undefined, token);

describe('JWKS endpoint', () => {
  test('keys fetched over HTTPS once and cached; a new key id fetches again (rotation)', async () => {
    endpoint.published = [keys[0]!];
    endpoint.fetches = 0;
    const auth = await createAuth({ jwt: jwt() });
    const first = await auth.authenticator.authenticate(request(await sign(keys[0]!, 'alice')));
    assert.equal(first.ok, true);
    await auth.authenticator.authenticate(request(await sign(keys[0]!, 'bob')));
    assert.equal(endpoint.fetches, 1, 'the second token used the cached key set');
    endpoint.published = [keys[1]!]; // rotation: k1 retired, k2 in
    const rotated = await auth.authenticator.authenticate(request(await sign(keys[1]!, 'alice')));
    assert.equal(rotated.ok, true, 'an unknown kid fetched the key set again');
    assert.equal(endpoint.fetches, 2);
    const retired = await auth.authenticator.authenticate(request(await sign(keys[0]!, 'alice')));
    assert.equal(retired.ok, false, 'the retired key is gone');
    assert.equal(!retired.ok && retired.reasonCode, ReasonCode.BadUserNameOrPassword);
    const [figures] = auth.sources();
    assert.equal(figures!.name, 'jwks');
    assert.equal(figures!.allow, 3);
    assert.equal(figures!.deny, 1);
  });

  test('the endpoint certificate is verified: without the CA it is a source error (0x88)', async () => {
    const auth = await createAuth({ jwt: jwt({ jwksCaFile: undefined }) });
    const result = await auth.authenticator.authenticate(request(await sign(keys[1]!, 'alice')));
    assert.equal(!result.ok && result.reasonCode, ReasonCode.ServerUnavailable);
    assert.equal(auth.sources()[0]!.errors, 1);
  });

  test('a key set over 1 MiB is refused, not read whole', async () => {
    endpoint.body = JSON.stringify({ keys: [], pad: 'x'.repeat(1.5 * 1024 * 1024) });
    try {
      const auth = await createAuth({ jwt: jwt() });
      const result = await auth.authenticator.authenticate(request(await sign(keys[1]!, 'alice')));
      assert.equal(!result.ok && result.reasonCode, ReasonCode.ServerUnavailable);
    } finally {
      endpoint.body = undefined;
    }
  });

  test('endpoint down under load: known keys keep working, unknown kid 0x88 (deny) or next source (ignore); resumes', async () => {
    endpoint.published = [keys[1]!];
    const broker = await startAuthBroker({ jwt: jwt() });
    const ignoring = await createAuth({ jwt: jwt({ onError: 'ignore' }), allowAnonymous: false });
    await ignoring.authenticator.authenticate(request(await sign(keys[1]!, 'warm')));
    const dave = await sign(keys[2]!, 'dave');
    await outageUnderLoad(broker, {
      name: 'jwks',
      source: {
        async stop() {
          await endpoint.stop();
          endpoint.published = [keys[1]!, keys[2]!]; // k3, dave's key, comes with the restart
        },
        start: () => endpoint.start(),
      },
      loader: { username: 'loader', password: await sign(keys[1]!, 'loader') },
      topic: 'load/a',
      newcomer: { username: 'dave', password: dave, protocolVersion: 5 },
      async whileDown() {
        const carol = { username: 'carol', password: await sign(keys[1]!, 'carol') };
        const known = await broker.tryConnect({ ...carol, clientId: 'n1', protocolVersion: 5 });
        assert.equal(known, 0, 'a cached key verifies without the endpoint');
        const ignored = await ignoring.authenticator.authenticate(request(dave));
        assert.equal(ignored.ok, false, 'ignore: no entry, the failure is not final');
        assert.equal(!ignored.ok && ignored.reasonCode, ReasonCode.BadUserNameOrPassword);
        await ignoring.close();
      },
    });
  });
});
