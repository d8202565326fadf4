// The quick start: `culex start` with nothing but its embedded defaults (the lmdb store, TCP and
// WebSocket listeners), used at once by mosquitto_pub/mosquitto_sub over TCP and MQTT.js over
// WebSocket, each in 3.1.1 and 5.0; then SIGTERM stops it gracefully. Only the ports and the
// data directory come from the environment, so that the test can run beside anything else.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type IDisconnectPacket, type MqttClient } from 'mqtt';
import { CULEX_MAIN, freePort } from '../../bench/broker-process.js';
import { Child, installed } from '../interop/processes.js';

const missing =
  installed('mosquitto_pub') && installed('mosquitto_sub')
    ? undefined
    : 'mosquitto-clients are not installed';

let broker: ChildProcess;
let banner = '';
let tcpPort = 0;
let wsPort = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'culex-quick-start-'));
const children: Child[] = [];
const clients: MqttClient[] = [];

before(async () => {
  tcpPort = await freePort();
  wsPort = await freePort();
  broker = spawn(process.execPath, [CULEX_MAIN, 'start'], {
    env: {
      ...process.env,
      CULEX_HOST: '127.0.0.1',
      CULEX_PORT: String(tcpPort),
      CULEX_WS_PORT: String(wsPort),
      CULEX_HTTP_PORT: '0',
      CULEX_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  broker.stderr!.setEncoding('utf8');
  broker.stderr!.on('data', (chunk: string) => {
    banner += chunk;
  });
  const deadline = Date.now() + 15_000;
  while (!banner.includes(`127.0.0.1:${wsPort}/mqtt`)) {
    if (broker.exitCode !== null) throw new Error(`culex start exited: ${banner}`);
    if (Date.now() > deadline) throw new Error(`culex start did not list its listeners: ${banner}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

after(async () => {
  for (const child of children) child.kill();
  for (const client of clients) client.end(true);
  if (broker.exitCode === null) broker.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function mqttjs(protocolVersion: 4 | 5, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(`ws://127.0.0.1:${wsPort}/mqtt`, {
      protocolVersion,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 3_000,
    });
    clients.push(client);
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** Messages a client receives, as "topic payload" lines. */
function inbox(client: MqttClient): string[] {
  const lines: string[] = [];
  client.on('message', (topic, payload) => lines.push(`${topic} ${payload}`));
  return lines;
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the banner lists the TCP and WebSocket listeners and the embedded lmdb store', () => {
  assert.match(banner, /store: lmdb/);
  assert.match(banner, new RegExp(`tcp +127\\.0\\.0\\.1:${tcpPort}\n`));
  assert.match(banner, new RegExp(`ws +127\\.0\\.0\\.1:${wsPort}/mqtt\n`));
});

test('mosquitto_sub/pub over TCP and MQTT.js over WebSocket, 3.1.1 and 5.0, all at once', {
  skip: missing,
}, async () => {
  const sub = (version: string, id: string) => {
    const child = Child.start('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', String(tcpPort), '-V', version, '-i', id],
      ...['-q', '1', '-t', 'quick/#', '-v'],
    ]);
    children.push(child);
    return child;
  };
  const sub311 = sub('mqttv311', 'sub-tcp-311');
  const sub5 = sub('mqttv5', 'sub-tcp-5');
  const ws4 = await mqttjs(4, 'ws-311');
  const ws5 = await mqttjs(5, 'ws-5');
  const got4 = inbox(ws4);
  const got5 = inbox(ws5);
  await ws4.subscribeAsync('quick/#', { qos: 1 });
  await ws5.subscribeAsync('quick/#', { qos: 1 });
  // mosquitto_sub prints nothing on SUBACK: a retained message tells when each one listens.
  await ws5.publishAsync('quick/ready', 'ready', { qos: 1, retain: true });
  await sub311.waitForLines(1);
  await sub5.waitForLines(1);

  const pub = Child.start('mosquitto_pub', [
    ...['-h', '127.0.0.1', '-p', String(tcpPort), '-V', 'mqttv5', '-q', '1'],
    ...['-t', 'quick/tcp', '-m', 'from mosquitto_pub'],
  ]);
  assert.equal(await pub.exit(), 0);
  await ws4.publishAsync('quick/ws', 'from MQTT.js', { qos: 1 });

  const expected = ['quick/tcp from mosquitto_pub', 'quick/ws from MQTT.js'];
  const live = (lines: string[]) => lines.filter((l) => !l.startsWith('quick/ready'));
  for (const [name, lines] of [
    ['mosquitto_sub 3.1.1', () => sub311.lines],
    ['mosquitto_sub 5.0', () => sub5.lines],
    ['MQTT.js ws 3.1.1', () => got4],
    ['MQTT.js ws 5.0', () => got5],
  ] as const) {
    await until(() => live(lines()).length >= 2, `${name} to receive both messages`);
    assert.deepEqual(live(lines()).sort(), expected, name);
  }
});

test('SIGTERM: 5.0 clients get DISCONNECT 0x8B (Server shutting down), the process exits 0', async () => {
  const client = await mqttjs(5, 'shutdown-watch');
  const disconnect = new Promise<IDisconnectPacket>((resolve) =>
    client.once('disconnect', resolve),
  );
  const exited = new Promise<number | null>((resolve) => broker.once('exit', resolve));
  broker.kill('SIGTERM');
  assert.equal((await disconnect).reasonCode, 0x8b);
  assert.equal(await exited, 0);
});
