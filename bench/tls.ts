// npm run bench:tls: QoS 0 fan-in over plain TCP, then over TLS (mqtts), against one broker
// process: 10 publishers → bench/tls/<pid>/<i>, 1 subscriber on bench/tls/<pid>/#, 64-byte
// payloads, MQTT 3.1.1, like ../shared/bench's fanin-q0.
//
// The broker is `culex start` as a child process pinned to CPU 0 (taskset), with a TCP and a
// TLS listener and a certificate made by openssl; this process, the load, moves to CPU 1.
// Closed loop: each publisher keeps at most options.window messages sent but not yet seen by the
// subscriber and refills in batches once a quarter of the window is free (mqttload's
// end-to-end window). Packets come from the codec's encode: one PUBLISH per publisher,
// copied into batches with the sequence number patched in.
//
// Prints a table, then one JSON line last: {"tcpRate": x, "tlsRate": y, "ratio": y / x}
// (messages/s delivered to the subscriber). Options: --duration S (10), --warmup S (1),
// --window N (1000), --publishers N (10), --reps N (1: TCP, TLS; 2: TCP, TLS, TCP, TLS, …).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort } from './broker-process.js';
import {
  connectBytes,
  fanInOverSockets,
  loadOptions,
  type Measured,
  median,
  PAYLOAD_BYTES,
  parseArgs,
  percent,
  subscribeBytes,
  waitForPort,
} from './qos0-load.js';
import { makePki, makeTempDir, SERVER_EXTENSIONS } from '../test/security/fixtures/certs.js';

const args = parseArgs(process.argv);
const options = loadOptions(args, { duration: 10, reps: 1 });
const PREFIX = `bench/tls/${process.pid}`;
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

type Transport = 'tcp' | 'tls';
type Socket = net.Socket | tls.TLSSocket;

interface Broker {
  pid: number;
  tcpPort: number;
  tlsPort: number;
  ca: Buffer;
  stop(): Promise<void>;
}

async function startBroker(dir: string): Promise<Broker> {
  const pki = await makePki(join(dir, 'pki'));
  const server = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
  const [tcpPort, tlsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'culex.yaml');
  writeFileSync(
    config,
    [
      'logLevel: warn',
      'store: memory',
      'httpPort: 0',
      'listeners:',
      `  - { type: tcp, host: 127.0.0.1, port: ${tcpPort} }`,
      `  - { type: tls, host: 127.0.0.1, port: ${tlsPort}, cert: ${server.cert}, key: ${server.key} }`,
      'broker:',
      '  sysInterval: 0',
      '',
    ].join('\n'),
  );
  const command = [process.execPath, 'dist/src/cli/main.js', 'start', '-c', config];
  const child = hasTaskset
    ? spawn('taskset', ['-c', '0', ...command], { stdio: ['ignore', 'ignore', 'inherit'] })
    : spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await waitForPort(tcpPort, child);
    await waitForPort(tlsPort, child);
  } catch (error) {
    await stop();
    throw error;
  }
  // taskset execs node, so the child's PID is the broker's.
  return { pid: child.pid!, tcpPort, tlsPort, ca: readFileSync(pki.ca), stop };
}

function open(transport: Transport, broker: Broker): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      transport === 'tcp'
        ? net.connect({ host: '127.0.0.1', port: broker.tcpPort, noDelay: true })
        : tls.connect({
            host: '127.0.0.1',
            port: broker.tlsPort,
            ca: broker.ca,
            rejectUnauthorized: true,
          });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once(transport === 'tcp' ? 'connect' : 'secureConnect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Sends CONNECT and waits for a CONNACK 0. */
async function mqttConnect(socket: Socket, clientId: string): Promise<void> {
  const connack = new Promise<Buffer>((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('error', reject);
  });
  socket.write(connectBytes(clientId));
  const bytes = await connack;
  if (bytes[0] !== 0x20 || bytes[3] !== 0)
    throw new Error(`CONNACK refused: ${bytes.toString('hex')}`);
}

interface Result extends Measured {
  transport: Transport;
}

async function fanIn(transport: Transport, broker: Broker, rep: number): Promise<Result> {
  const subscriber = await open(transport, broker);
  await mqttConnect(subscriber, `tls-bench-sub-${transport}-${rep}`);
  const suback = new Promise<void>((resolve) => subscriber.once('data', () => resolve()));
  subscriber.write(subscribeBytes(`${PREFIX}/#`));
  await suback;
  const sockets: Socket[] = [];
  const topics: string[] = [];
  for (let i = 0; i < options.publishers; i++) {
    const socket = await open(transport, broker);
    await mqttConnect(socket, `tls-bench-pub-${transport}-${rep}-${i}`);
    sockets.push(socket);
    topics.push(`${PREFIX}/${i}`);
  }
  const measured = await fanInOverSockets(subscriber, sockets, topics, broker.pid, options);
  if (measured.lost > 0)
    console.error(`${transport}: ${measured.lost} messages not delivered after the run`);
  return { transport, ...measured };
}

async function main(): Promise<void> {
  if (hasTaskset) spawnSync('taskset', ['-a', '-c', '-p', '1', String(process.pid)]);
  const temp = await makeTempDir('culex-bench-tls-');
  let broker: Broker | undefined;
  try {
    broker = await startBroker(temp.dir);
    console.log(
      `QoS 0 fan-in: ${options.publishers} publishers → 1 subscriber, ${PAYLOAD_BYTES}-byte payloads, ` +
        `window ${options.window}/publisher, ${options.warmup} s warm-up + ${options.duration} s per run, ` +
        `broker PID ${broker.pid}${hasTaskset ? ' on CPU 0, load on CPU 1' : ' (no taskset: unpinned)'}`,
    );
    const results: Result[] = [];
    for (let rep = 0; rep < options.reps; rep++)
      for (const transport of ['tcp', 'tls'] as const)
        results.push(await fanIn(transport, broker, rep));
    console.log('');
    console.log('| transport | messages | seconds | msg/s | broker CPU | load CPU |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of results)
      console.log(
        `| ${r.transport} | ${r.messages} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} | ` +
          `${percent(r.brokerCpu)} | ${percent(r.loadCpu)} |`,
      );
    const tcpRate = median(results.filter((r) => r.transport === 'tcp').map((r) => r.rate));
    const tlsRate = median(results.filter((r) => r.transport === 'tls').map((r) => r.rate));
    console.log('');
    console.log(
      JSON.stringify({
        tcpRate: Math.round(tcpRate),
        tlsRate: Math.round(tlsRate),
        ratio: Number((tlsRate / tcpRate).toFixed(3)),
      }),
    );
  } finally {
    await broker?.stop();
    await temp.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
