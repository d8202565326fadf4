// Transport security against a live broker: mqtts and wss listeners with certificates made by
// openssl at test start, checked with mosquitto_pub/sub, MQTT.js and bare node:tls probes.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ConnectRequest } from '../../src/broker/ports.js';
import { connect } from '../../src/client/index.js';
import { type CulexServer, createBroker } from '../../src/index.js';
import { culex } from '../cli/run.js';
import {
  clientExtensions,
  makePki,
  makeTempDir,
  run,
  SERVER_EXTENSIONS,
} from './fixtures/certs.js';
import { LOAD_SLACK_MS, openIdle } from './fixtures/idle.js';
import { backgroundSub } from './fixtures/mosquitto-clients.js';
import { closeProbe, probe } from './fixtures/tls-probe.js';

const CLIENT_CN = 'alice-device';
const CLIENT_SAN = 'DNS:alice.devices.example,email:alice@example.com';
const TIMEOUT = 5_000;
/** Seconds a socket may take to handshake and send CONNECT. */
const CONNECT_TIMEOUT = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const fingerprint = async (file: string) =>
  new X509Certificate(await readFile(file)).fingerprint256;

/** MQTT.js connected, or the error it gave up with (no reconnects, bounded). */
function mqttConnect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 3_000,
      ...options,
    });
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error('MQTT.js connect timed out'));
    }, TIMEOUT);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (error) => {
      clearTimeout(timer);
      client.end(true);
      reject(error);
    });
  });
}

/** The next message MQTT.js delivers on `topic`, within the timeout. */
function nextMessage(client: MqttClient, topic: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${TIMEOUT} ms`));
    }, TIMEOUT);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload.toString());
    };
    client.on('message', onMessage);
  });
}

describe('security: TLS listeners (mqtts, wss)', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let server: CulexServer;
  const files = {} as Record<
    | 'ca'
    | 'serverCert'
    | 'serverKey'
    | 'nextCert'
    | 'nextKey'
    | 'clientCert'
    | 'clientKey'
    | 'rogueCa'
    | 'rogueCert'
    | 'rogueKey',
    string
  >;
  let ca: Buffer;
  const port = { none: 0, required: 0, optional: 0, wss: 0, tcp: 0 };
  /** What the authenticator was shown for each client id (null: no certificate). */
  const seen = new Map<string, ConnectRequest['certificate'] | null>();
  const clients: MqttClient[] = [];
  let publisher: MqttClient;

  /** Publishes over plain TCP from a trusted in-process client, QoS 1. */
  const publish = (topic: string, payload: string) =>
    publisher.publishAsync(topic, payload, { qos: 1 });

  before(async () => {
    temp = await makeTempDir('culex-tls-');
    const pki = await makePki(join(temp.dir, 'pki'));
    const rogue = await makePki(join(temp.dir, 'rogue'));
    const serverPair = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
    const next = await pki.issue('server-next', '/CN=localhost-next', SERVER_EXTENSIONS);
    const client = await pki.issue('client', `/CN=${CLIENT_CN}`, clientExtensions(CLIENT_SAN));
    const rogueClient = await rogue.issue(
      'client',
      `/CN=${CLIENT_CN}`,
      clientExtensions(CLIENT_SAN),
    );
    Object.assign(files, {
      ca: pki.ca,
      serverCert: serverPair.cert,
      serverKey: serverPair.key,
      nextCert: next.cert,
      nextKey: next.key,
      clientCert: client.cert,
      clientKey: client.key,
      rogueCa: rogue.ca,
      rogueCert: rogueClient.cert,
      rogueKey: rogueClient.key,
    });
    ca = await readFile(files.ca);
    const host = '127.0.0.1';
    const tlsFiles = { cert: files.serverCert, key: files.serverKey };
    server = await createBroker({
      listeners: [
        { type: 'tls', port: 0, host, ...tlsFiles, verify: 'none' },
        { type: 'tls', port: 0, host, ...tlsFiles, ca: files.ca, verify: 'required' },
        { type: 'tls', port: 0, host, ...tlsFiles, ca: files.ca, verify: 'optional' },
        { type: 'wss', port: 0, host, ...tlsFiles },
        { type: 'tcp', port: 0, host },
      ],
      broker: { sysInterval: 0, connectTimeout: CONNECT_TIMEOUT },
      authenticator: {
        authenticate(request) {
          seen.set(request.clientId, request.certificate ?? null);
          if (!request.clientId.startsWith('cert-user')) return { ok: true };
          // The certificate's CN becomes the user name.
          const commonName = request.certificate?.commonName;
          if (commonName === undefined) return { ok: false, reasonCode: 0x87 };
          return { ok: true, username: commonName };
        },
      },
      authorizer: {
        authorizePublish: () => true,
        authorizeSubscribe: (client, filter) =>
          !filter.startsWith('devices/') || filter.startsWith(`devices/${client.username}/`),
      },
    });
    const [none, required, optional, wss, tcp] = server.listeners.map((l) => l.port);
    Object.assign(port, { none, required, optional, wss, tcp });
    publisher = await mqttConnect(`mqtt://127.0.0.1:${port.tcp}`, { clientId: 'publisher' });
    clients.push(publisher);
  });

  after(async () => {
    for (const c of clients) c.end(true);
    await server?.close();
    await temp?.remove();
  });

  it('mosquitto_sub and mosquitto_pub with --cafile: a round trip over mqtts', async () => {
    const common = ['--cafile', files.ca, '-h', '127.0.0.1', '-p', String(port.none)];
    const sub = backgroundSub([...common, '-t', 'tls/mosquitto', '-q', '1', '-C', '1', '-W', '8']);
    await sub.subscribed;
    const pub = await run('mosquitto_pub', [
      ...common,
      '-t',
      'tls/mosquitto',
      '-q',
      '1',
      '-m',
      'hello over tls',
    ]);
    assert.equal(pub.code, 0, pub.stderr);
    const result = await sub.exited;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^hello over tls$/m);
  });

  it('mosquitto_pub refuses a server certificate its --cafile did not sign', async () => {
    const args = ['-h', '127.0.0.1', '-p', String(port.none), '-t', 'tls/x', '-m', 'x'];
    const rogue = await run('mosquitto_pub', ['--cafile', files.rogueCa, ...args]);
    assert.notEqual(rogue.code, 0, 'a certificate from another CA was accepted');
    // And plain MQTT on the TLS port gets nowhere.
    const plain = await run('mosquitto_pub', [...args]);
    assert.notEqual(plain.code, 0, 'plain MQTT was accepted on the TLS port');
  });

  it('a plain client on the TLS port is told it may be one (library and culex pub)', async () => {
    const url = `mqtt://127.0.0.1:${port.none}`;
    await assert.rejects(connect(url, { reconnect: false, connectTimeout: 5_000 }), {
      message: 'Connection closed before CONNACK (if the port expects TLS, use mqtts:// or wss://)',
    });
    const pub = await culex([
      'pub',
      '-h',
      '127.0.0.1',
      '-p',
      String(port.none),
      '-t',
      'x',
      '-m',
      'y',
    ]);
    assert.equal(pub.status, 1);
    assert.equal(
      pub.stderr,
      'Error: Connection closed before CONNACK (if the port expects TLS, give --cafile FILE ' +
        '(or --insecure), or -L mqtts://)\n',
    );
  });

  it('TLS 1.1 is refused; TLS 1.2 and 1.3 are accepted', async () => {
    const old = {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    } as const;
    // The probe itself can speak TLS 1.1 (against a server that allows it), so a refusal is
    // the broker's doing.
    const permissive = tls.createServer({
      cert: await readFile(files.serverCert),
      key: await readFile(files.serverKey),
      ...old,
    });
    const sockets = new Set<Socket>();
    permissive.on('connection', (s) => sockets.add(s));
    permissive.on('secureConnection', (s) => s.end());
    await new Promise<void>((r) => permissive.listen(0, '127.0.0.1', r));
    const control = await probe(
      (permissive.address() as { port: number }).port,
      { ca, ...old },
      'c',
    );
    await closeProbe(control);
    for (const s of sockets) s.destroy();
    await new Promise((r) => permissive.close(r));
    assert.equal(control.protocol, 'TLSv1.1', 'the TLS 1.1 probe does not work at all');

    const refused = await probe(port.none, { ca, ...old }, 'tls11');
    await closeProbe(refused);
    assert.equal(refused.handshake, false, `TLS ${refused.protocol} accepted`);
    assert.equal(refused.connack, undefined);
    // Refused for its version (alert 70, protocol_version), not for a cipher or signature.
    assert.equal(
      (refused.error as { code?: string } | undefined)?.code,
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    );
    assert.equal(seen.has('tls11'), false);

    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const ok = await probe(port.none, { ca, minVersion: version, maxVersion: version }, version);
      await closeProbe(ok);
      assert.equal(ok.protocol, version);
      assert.equal(ok.connack?.reasonCode, 0);
    }
  });

  it('verify: required refuses a client without a certificate or with one from another CA', async () => {
    for (const [clientId, extra] of [
      ['no-cert', {}],
      [
        'rogue-cert',
        { cert: await readFile(files.rogueCert), key: await readFile(files.rogueKey) },
      ],
    ] as const) {
      const result = await probe(port.required, { ca, ...extra }, clientId);
      await closeProbe(result);
      assert.equal(result.connack, undefined, `${clientId}: got a CONNACK`);
      assert.ok(result.error ?? result.socket.destroyed, `${clientId}: not refused`);
      assert.equal(seen.has(clientId), false, `${clientId}: reached the authenticator`);
    }
    const common = ['--cafile', files.ca, '-h', '127.0.0.1', '-p', String(port.required)];
    const pub = await run('mosquitto_pub', [
      ...common,
      '-t',
      'tls/x',
      '-m',
      'x',
      '-i',
      'mosq-no-cert',
    ]);
    assert.notEqual(pub.code, 0, 'mosquitto_pub without --cert was accepted');
    assert.equal(seen.has('mosq-no-cert'), false);
  });

  it('verify: required accepts mosquitto_sub --cert --key; the authenticator sees CN and SANs', async () => {
    const sub = backgroundSub([
      ...['--cafile', files.ca, '--cert', files.clientCert, '--key', files.clientKey],
      ...['-h', '127.0.0.1', '-p', String(port.required), '-i', 'mosq-cert'],
      ...['-t', 'tls/client-cert', '-q', '1', '-C', '1', '-W', '8'],
    ]);
    await sub.subscribed;
    await publish('tls/client-cert', 'for the certificate holder');
    const result = await sub.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^for the certificate holder$/m);
    const certificate = seen.get('mosq-cert');
    assert.equal(certificate?.commonName, CLIENT_CN);
    assert.deepEqual([...(certificate?.subjectAltNames ?? [])].sort(), [
      'alice.devices.example',
      'alice@example.com',
    ]);
  });

  it('verify: optional: no certificate passes without names; an unverified one gives none', async () => {
    const cases = [
      ['opt-none', {}, undefined],
      [
        'opt-cert',
        { cert: await readFile(files.clientCert), key: await readFile(files.clientKey) },
        CLIENT_CN,
      ],
      // Names of a certificate the CA did not sign must never reach the authenticator.
      [
        'opt-rogue',
        { cert: await readFile(files.rogueCert), key: await readFile(files.rogueKey) },
        undefined,
      ],
    ] as const;
    for (const [clientId, extra, commonName] of cases) {
      const result = await probe(port.optional, { ca, ...extra }, clientId);
      await closeProbe(result);
      assert.equal(result.connack?.reasonCode, 0, `${clientId}: ${result.error}`);
      assert.equal(seen.get(clientId)?.commonName, commonName, clientId);
      if (commonName === undefined) assert.equal(seen.get(clientId), null, clientId);
    }
  });

  it('the certificate CN as user name: ACL rules on the user name apply, no CN no entry', async () => {
    const client = await mqttConnect(`mqtts://127.0.0.1:${port.required}`, {
      clientId: 'cert-user-1',
      ca,
      cert: await readFile(files.clientCert),
      key: await readFile(files.clientKey),
      rejectUnauthorized: true,
    });
    clients.push(client);
    // MQTT.js rejects a SUBACK with any failure code; the codes ride on the error.
    const suback = await client
      .subscribeAsync({ [`devices/${CLIENT_CN}/#`]: { qos: 1 }, 'devices/bob/#': { qos: 1 } })
      .then(
        () => undefined,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
      );
    assert.deepEqual(suback, [1, 0x87]);
    const got = nextMessage(client, `devices/${CLIENT_CN}/cmd`);
    await publish(`devices/${CLIENT_CN}/cmd`, 'reboot');
    assert.equal(await got, 'reboot');
    client.end(true);
    // Without a certificate there is no CN to be the user name: refused.
    const refused = await probe(port.optional, { ca }, 'cert-user-2');
    await closeProbe(refused);
    assert.equal(refused.connack?.reasonCode, 0x87);
  });

  it('wss with MQTT.js: verified against the CA, a round trip; without the CA refused', async () => {
    const url = `wss://127.0.0.1:${port.wss}/mqtt`;
    const client = await mqttConnect(url, { clientId: 'wss-1', ca, rejectUnauthorized: true });
    clients.push(client);
    await client.subscribeAsync('tls/wss', { qos: 1 });
    const got = nextMessage(client, 'tls/wss');
    await publish('tls/wss', 'over wss');
    assert.equal(await got, 'over wss');
    client.end(true);
    await assert.rejects(
      mqttConnect(url, { clientId: 'wss-untrusted', rejectUnauthorized: true }),
      /certificate/i,
    );
    assert.equal(seen.has('wss-untrusted'), false);
  });

  it('mqtts and wss: sockets that never handshake, or handshake and stay silent, are closed after connectTimeout', async () => {
    // Connected clients idle as long stay.
    const kept = await Promise.all([
      mqttConnect(`mqtts://127.0.0.1:${port.none}`, { clientId: 'idle-tls', ca }),
      mqttConnect(`wss://127.0.0.1:${port.wss}/mqtt`, { clientId: 'idle-wss', ca }),
    ]);
    clients.push(...kept);
    let keptClosed = 0;
    for (const c of kept) c.on('close', () => keptClosed++);
    const idle = await Promise.all([openIdle(port.none, 100), openIdle(port.wss, 100)]);
    const silent = await probe(port.none, { ca }, undefined);
    const silentClosed = new Promise<number>((resolve) => {
      const opened = Date.now();
      silent.socket.once('close', () => resolve(Date.now() - opened));
    });
    try {
      const limit = (CONNECT_TIMEOUT + 4) * 1000;
      const shortest = await Promise.all(
        idle.map((i) => i.allClosed(CONNECT_TIMEOUT * 1000 + LOAD_SLACK_MS)),
      );
      for (const ms of shortest)
        assert.ok(ms >= CONNECT_TIMEOUT * 1000 - 100, `one closed after ${ms} ms`);
      assert.ok(
        (await Promise.race([silentClosed, sleep(limit).then(() => -1)])) >= 0,
        'silent TLS client kept',
      );
      const still = await probe(port.none, { ca }, 'after-idle');
      await closeProbe(still);
      assert.equal(still.connack?.reasonCode, 0);
      for (const c of kept) await c.subscribeAsync('idle/x', { qos: 1 });
      const delivered = Promise.all(kept.map((c) => nextMessage(c, 'idle/x')));
      await publish('idle/x', 'still connected');
      assert.deepEqual(await delivered, ['still connected', 'still connected']);
      assert.equal(keptClosed, 0, 'a connected client was dropped');
    } finally {
      for (const i of idle) i.destroy();
      await closeProbe(silent);
    }
  });

  // Last: it swaps the server certificate every listener uses.
  it('reload (SIGHUP): open connections stay, new handshakes get the new certificate', async () => {
    const oldPrint = await fingerprint(files.serverCert);
    const newPrint = await fingerprint(files.nextCert);
    assert.notEqual(oldPrint, newPrint);
    const first = await probe(port.none, { ca }, 'pre-reload');
    await closeProbe(first);
    assert.equal(first.fingerprint256, oldPrint);

    const mqtts = await mqttConnect(`mqtts://127.0.0.1:${port.none}`, { clientId: 'stay-tls', ca });
    const wss = await mqttConnect(`wss://127.0.0.1:${port.wss}/mqtt`, { clientId: 'stay-wss', ca });
    clients.push(mqtts, wss);
    let closes = 0;
    for (const c of [mqtts, wss]) {
      c.on('close', () => closes++);
      await c.subscribeAsync('reload/#', { qos: 1 });
    }

    await copyFile(files.nextCert, files.serverCert);
    await copyFile(files.nextKey, files.serverKey);
    await server.reload();

    for (const [listener, clientId] of [
      [port.none, 'post-reload'],
      [port.required, 'post-reload-required'],
    ] as const) {
      const extra =
        listener === port.required
          ? { cert: await readFile(files.clientCert), key: await readFile(files.clientKey) }
          : {};
      const fresh = await probe(listener, { ca, ...extra }, clientId);
      await closeProbe(fresh);
      assert.equal(fresh.fingerprint256, newPrint, `${clientId}: old certificate still served`);
      assert.equal(fresh.connack?.reasonCode, 0);
    }
    // wss: only the handshake matters here.
    const freshWss = await probe(port.wss, { ca }, undefined);
    await closeProbe(freshWss);
    assert.equal(freshWss.fingerprint256, newPrint);

    const delivered = Promise.all([nextMessage(mqtts, 'reload/a'), nextMessage(wss, 'reload/a')]);
    await publish('reload/a', 'after reload');
    assert.deepEqual(await delivered, ['after reload', 'after reload']);
    assert.equal(closes, 0, 'a connection dropped during reload');

    // A broken certificate file: reload reports it and the listener keeps the last good one.
    await writeFile(files.serverCert, 'not a certificate\n');
    await assert.rejects(server.reload());
    const still = await probe(port.none, { ca }, 'after-bad-reload');
    await closeProbe(still);
    assert.equal(still.fingerprint256, newPrint);
    assert.equal(still.connack?.reasonCode, 0);
    const again = nextMessage(mqtts, 'reload/b');
    await publish('reload/b', 'still here');
    assert.equal(await again, 'still here');
    assert.equal(closes, 0);
  });
});
