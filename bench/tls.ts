// npm run bench:tls: QoS 0 fan-in over plain TCP, then over TLS (mqtts), against one broker
// process: 10 publishers → bench/tls/<pid>/<i>, 1 subscriber on bench/tls/<pid>/#, 64-byte
// payloads, MQTT 3.1.1, like ../shared/bench's fanin-q0.
//
// The broker is `culex start` as a child process pinned to CPU 0 (taskset), with a TCP and a
// TLS listener and a certificate made by openssl; this process, the load, moves to CPU 1.
// Closed loop: each publisher keeps at most WINDOW messages sent but not yet seen by the
// subscriber and refills in batches once a quarter of the window is free (mqttload's
// end-to-end window). Packets come from the codec's encode: one PUBLISH per publisher,
// copied into batches with the sequence number patched in.
//
// Prints a table, then one JSON line last: {"tcpRate": x, "tlsRate": y, "ratio": y / x}
// (messages/s delivered to the subscriber). Options: --duration S (10), --warmup S (1),
// --window N (1000), --publishers N (10), --reps N (1: TCP, TLS; 2: TCP, TLS, TCP, TLS, …).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { encode, PacketType } from '../src/protocol/index.js';
import { freePort } from './broker-process.js';
import { makePki, makeTempDir, SERVER_EXTENSIONS } from '../test/security/fixtures/certs.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!, process.argv[i + 1] ?? '');
const DURATION = Number(args.get('--duration') ?? 10);
const WARMUP = Number(args.get('--warmup') ?? 1);
const WINDOW = Number(args.get('--window') ?? 1_000);
const PUBLISHERS = Number(args.get('--publishers') ?? 10);
const REPS = Number(args.get('--reps') ?? 1);
const REFILL = Math.max(1, Math.floor(WINDOW / 4));
const PAYLOAD_BYTES = 64;
const PREFIX = `bench/tls/${process.pid}`;
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

type Transport = 'tcp' | 'tls';
type Socket = net.Socket | tls.TLSSocket;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`broker did not listen on ${port}`);
    await sleep(100);
  }
}

/** Broker CPU time (user + system), seconds, from /proc; undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

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
  socket.write(
    encode(
      {
        type: PacketType.Connect,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 60,
        clientId,
        properties: {},
      },
      4,
    ),
  );
  const bytes = await connack;
  if (bytes[0] !== 0x20 || bytes[3] !== 0)
    throw new Error(`CONNACK refused: ${bytes.toString('hex')}`);
}

/** A publisher's PUBLISH template; the payload starts with its index and a sequence number. */
function template(index: number): { bytes: Buffer; seqAt: number } {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  payload.writeUInt32BE(index, 0);
  const bytes = Buffer.from(
    encode(
      {
        type: PacketType.Publish,
        topic: `${PREFIX}/${index}`,
        payload,
        qos: 0,
        retain: false,
        dup: false,
        properties: {},
      },
      4,
    ),
  );
  return { bytes, seqAt: bytes.length - PAYLOAD_BYTES + 4 };
}

interface Publisher {
  socket: Socket;
  template: { bytes: Buffer; seqAt: number };
  sent: number;
  received: number;
  blocked: boolean;
}

interface Result {
  transport: Transport;
  rate: number;
  messages: number;
  seconds: number;
  brokerCpu: number | undefined;
  loadCpu: number;
}

/** Reads PUBLISH packets off the subscriber's stream and credits their publishers. */
function subscriberReader(publishers: Publisher[], onCredit: (p: Publisher) => void) {
  let pending: Buffer = Buffer.alloc(0);
  let total = 0;
  const read = (chunk: Buffer) => {
    const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    while (pos + 2 <= buf.length) {
      let length = 0;
      let multiplier = 1;
      let at = pos + 1;
      for (;;) {
        if (at >= buf.length) break;
        const b = buf[at++]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if (b < 0x80) break;
      }
      const end = at + length;
      if (at >= buf.length || end > buf.length) break;
      if (buf[pos]! >> 4 === PacketType.Publish) {
        const topicLength = buf.readUInt16BE(at);
        const index = buf.readUInt32BE(at + 2 + topicLength);
        const publisher = publishers[index];
        if (publisher !== undefined) {
          publisher.received++;
          total++;
          onCredit(publisher);
        }
      }
      pos = end;
    }
    pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  };
  return { read, total: () => total };
}

/** Sends what the end-to-end window allows, in one write. */
function refill(p: Publisher, running: () => boolean): void {
  if (!running() || p.blocked) return;
  const room = WINDOW - (p.sent - p.received);
  if (room < REFILL && p.sent !== p.received) return;
  const { bytes, seqAt } = p.template;
  const batch = Buffer.allocUnsafe(bytes.length * room);
  for (let i = 0; i < room; i++) {
    const at = i * bytes.length;
    bytes.copy(batch, at);
    batch.writeUInt32BE((p.sent + i) >>> 0, at + seqAt);
  }
  p.sent += room;
  if (!p.socket.write(batch)) {
    p.blocked = true;
    p.socket.once('drain', () => {
      p.blocked = false;
      refill(p, running);
    });
  }
}

async function fanIn(transport: Transport, broker: Broker, rep: number): Promise<Result> {
  const subscriber = await open(transport, broker);
  await mqttConnect(subscriber, `tls-bench-sub-${transport}-${rep}`);
  const suback = new Promise<void>((resolve) => subscriber.once('data', () => resolve()));
  subscriber.write(
    encode(
      {
        type: PacketType.Subscribe,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: `${PREFIX}/#`,
            qos: 0,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: {},
      },
      4,
    ),
  );
  await suback;
  const publishers: Publisher[] = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    const socket = await open(transport, broker);
    await mqttConnect(socket, `tls-bench-pub-${transport}-${rep}-${i}`);
    publishers.push({ socket, template: template(i), sent: 0, received: 0, blocked: false });
  }
  let running = true;
  const isRunning = () => running;
  const reader = subscriberReader(publishers, (p) => refill(p, isRunning));
  subscriber.on('data', reader.read);
  for (const p of publishers) refill(p, isRunning);

  await sleep(WARMUP * 1000);
  const before = reader.total();
  const brokerBefore = cpuSeconds(broker.pid);
  const loadBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await sleep(DURATION * 1000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const messages = reader.total() - before;
  const brokerAfter = cpuSeconds(broker.pid);
  const load = process.cpuUsage(loadBefore);
  running = false;

  // Let what is in flight arrive, then close everything.
  const deadline = Date.now() + 5_000;
  while (publishers.some((p) => p.received < p.sent) && Date.now() < deadline) await sleep(50);
  const lost = publishers.reduce((n, p) => n + p.sent - p.received, 0);
  for (const s of [subscriber, ...publishers.map((p) => p.socket)]) s.destroy();
  if (lost > 0) console.error(`${transport}: ${lost} messages not delivered after the run`);
  return {
    transport,
    rate: messages / seconds,
    messages,
    seconds,
    brokerCpu:
      brokerBefore === undefined || brokerAfter === undefined
        ? undefined
        : (brokerAfter - brokerBefore) / seconds,
    loadCpu: (load.user + load.system) / 1e6 / seconds,
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const percent = (share: number | undefined) =>
  share === undefined ? 'n/a' : `${(share * 100).toFixed(0)} %`;

async function main(): Promise<void> {
  if (hasTaskset) spawnSync('taskset', ['-a', '-c', '-p', '1', String(process.pid)]);
  const temp = await makeTempDir('culex-bench-tls-');
  let broker: Broker | undefined;
  try {
    broker = await startBroker(temp.dir);
    console.log(
      `QoS 0 fan-in: ${PUBLISHERS} publishers → 1 subscriber, ${PAYLOAD_BYTES}-byte payloads, ` +
        `window ${WINDOW}/publisher, ${WARMUP} s warm-up + ${DURATION} s per run, ` +
        `broker PID ${broker.pid}${hasTaskset ? ' on CPU 0, load on CPU 1' : ' (no taskset: unpinned)'}`,
    );
    const results: Result[] = [];
    for (let rep = 0; rep < REPS; rep++)
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
