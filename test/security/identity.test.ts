// useIdentityAsUsername: a verified client certificate authenticates, its CN (or SAN) becomes
// the user name for ACLs; without one the authenticators decide as usual.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import type { ClientInfo } from '../../src/broker/ports.js';
import { type CulexServer, createBroker } from '../../src/index.js';
import { clientExtensions, makePki, makeTempDir, SERVER_EXTENSIONS } from './fixtures/certs.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let server: CulexServer;
const users = new Map<string, string | undefined>();
let files: { ca: Buffer; cert: Buffer; key: Buffer };

before(async () => {
  temp = await makeTempDir('culex-identity-');
  const pki = await makePki(join(temp.dir, 'pki'));
  const serverPair = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
  const client = await pki.issue(
    'client',
    '/CN=sensor-7',
    clientExtensions('DNS:sensor-7.example'),
  );
  files = {
    ca: await readFile(pki.ca),
    cert: await readFile(client.cert),
    key: await readFile(client.key),
  };
  server = await createBroker({
    listeners: [
      {
        type: 'tls',
        port: 0,
        host: '127.0.0.1',
        cert: serverPair.cert,
        key: serverPair.key,
        ca: pki.ca,
        verify: 'optional',
      },
    ],
    broker: { sysInterval: 0, useIdentityAsUsername: 'cn' },
    // Password logins are refused: only the certificate can get a client in.
    authenticate: () => false,
    authorizePublish: (client: ClientInfo) => {
      users.set(client.clientId, client.username);
      return client.username === 'sensor-7';
    },
  });
});

after(async () => {
  await server?.close();
  await temp?.remove();
});

function connect(clientId: string, withCertificate: boolean) {
  const { port } = server.address('tls');
  return mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ca: files.ca,
    servername: 'localhost',
    ...(withCertificate
      ? { cert: files.cert, key: files.key }
      : { username: 'sensor-7', password: 'guess' }),
  });
}

test('a verified certificate logs the client in with its CN as user name', async () => {
  const client = await connect('with-cert', true);
  await client.publishAsync('telemetry/7', 'ok', { qos: 1 });
  assert.equal(users.get('with-cert'), 'sensor-7');
  await client.endAsync();
});

test('without a certificate the authenticators decide: a claimed user name is not enough', async () => {
  await assert.rejects(connect('no-cert', false), (error: Error & { code?: number }) => {
    assert.equal(error.code, 0x86);
    return true;
  });
});
