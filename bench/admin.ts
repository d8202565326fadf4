// `npm run bench:admin`: the operations listener's cost.
//  1. The clients list with 10k connected clients: time to the first page (target < 50 ms).
//  2. QoS 0 fan-in throughput of one broker process without the HTTP listener, and of one with
//     the API and metrics on, /metrics scraped every second and a dashboard open in headless
//     Chromium; rounds alternate within one run, the ratio of medians should be ≥ 0.95.
// `--quick` shortens the rounds; `--no-browser` polls the dashboard's endpoints instead.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { PacketType } from '../src/protocol/constants.js';
import { encode } from '../src/protocol/index.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/chromium.js';

const KEY = 'bench-key-0123456789';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const browser = !args.includes('--no-browser');
// Broker on CPU 0; this process, its load and Chromium (which inherits the affinity) on CPU 1.
const pinned = availableParallelism() >= 2 && pin();
const brokerPrefix = pinned ? ['taskset', '-c', '0'] : [];

function pin(): boolean {
  try {
    execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'culex-bench-admin-'));
const configFile = join(dir, 'culex.yaml');
writeFileSync(
  configFile,
  `http:\n  apiKeys:\n    - { name: bench, key: ${KEY} }\n  users:\n    - { username: admin, password: bench }\n`,
);

interface Broker {
  stop(): Promise<void>;
  pid: number;
  mqttPort: number;
  httpPort: number;
}

async function startBroker(withHttp: boolean): Promise<Broker> {
  const mqttPort = await freePort();
  const httpPort = withHttp ? await freePort() : 0;
  const base = culexArgs(mqttPort, ['--store', 'memory', '-c', configFile]);
  const at = base.indexOf('--http-port');
  base[at + 1] = String(httpPort);
  const { child } = await startCulex(base, brokerPrefix);
  return { mqttPort, httpPort, pid: child.pid!, stop: () => stopProcess(child) };
}

const connectPacket = (clientId: string) =>
  encode(
    {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId,
      properties: {},
    },
    4,
  );

/** A raw MQTT 3.1.1 client: resolves once CONNACK arrived; `onData` gets later bytes. */
function rawClient(port: number, clientId: string, onData?: (n: number) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let connected = false;
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      if (!connected) {
        connected = true;
        resolve(socket);
        if (chunk.length > 4) onData?.(chunk.length - 4);
      } else onData?.(chunk.length);
    });
    socket.write(connectPacket(clientId));
  });
}

async function timeGet(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${KEY}` } });
  const body = (await res.json()) as { items: unknown[]; total: number };
  const ms = performance.now() - t0;
  if (res.status !== 200 || body.items.length !== 50) throw new Error(`bad answer ${res.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function clientsList(): Promise<void> {
  const count = 10_000;
  const broker = await startBroker(true);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 500); j++)
        batch.push(rawClient(broker.mqttPort, `bench-${String(j).padStart(5, '0')}`));
      sockets.push(...(await Promise.all(batch)));
    }
    const base = `http://127.0.0.1:${broker.httpPort}/api/v1/clients`;
    const rows: [string, string][] = [
      ['first page, sorted by client id', '?limit=50'],
      ['first page, sorted by connectedAt desc', '?limit=50&sort=connectedAt&order=desc'],
      ['first page, client id search', '?limit=50&clientId=bench-0'],
    ];
    console.log(`clients list with ${count} connected clients (GET over HTTP, ms):`);
    for (const [label, query] of rows) {
      const first = await timeGet(base + query);
      const times: number[] = [];
      for (let i = 0; i < 20; i++) times.push(await timeGet(base + query));
      const p95 = [...times].sort((a, b) => a - b)[18]!;
      const verdict = median(times) < 50 ? 'ok' : 'SLOW';
      console.log(
        `  ${label.padEnd(40)} first ${first.toFixed(1)}  median ${median(times).toFixed(1)}  p95 ${p95.toFixed(1)}  (< 50: ${verdict})`,
      );
    }
  } finally {
    for (const s of sockets) s.destroy();
    await broker.stop();
  }
}

const PUBLISHERS = 8;
const PAYLOAD = Buffer.alloc(64, 'x');

const WINDOW = 16_384;

const publishPacket = (topic: string) =>
  encode(
    {
      type: PacketType.Publish,
      topic,
      payload: PAYLOAD,
      qos: 0,
      retain: false,
      dup: false,
      properties: {},
    },
    4,
  );

const subscribePacket = encode(
  {
    type: PacketType.Subscribe,
    packetId: 1,
    subscriptions: [
      {
        topicFilter: 'fanin/+',
        qos: 0,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      },
    ],
    properties: {},
  },
  4,
);

/** Broker CPU time (user + system) in seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface FaninResult {
  rate: number;
  /** Broker CPU microseconds per delivered message. */
  cpuPerMessage: number;
}

/**
 * Closed-loop QoS 0 fan-in: PUBLISHERS publishers, one subscriber, at most WINDOW messages
 * between publish and delivery, so the broker is kept busy without overflowing (no drops).
 */
async function fanin(broker: Broker, seconds: number): Promise<FaninResult> {
  const topic = (i: number) => `fanin/${String(i).padStart(2, '0')}`;
  const size = publishPacket(topic(0)).length;
  let bytes = 0;
  let pump = () => {};
  const sub = await rawClient(broker.mqttPort, `fanin-sub-${Date.now()}`, (n) => {
    bytes += n;
    pump();
  });
  sub.write(subscribePacket);
  while (bytes < 5) await new Promise((r) => setTimeout(r, 10)); // SUBACK
  bytes = 0;
  const pubs = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) =>
      rawClient(broker.mqttPort, `fanin-pub-${i}-${Date.now()}`),
    ),
  );
  const batches = pubs.map((_, i) =>
    Buffer.concat(Array.from({ length: 64 }, () => publishPacket(topic(i)))),
  );
  let sent = 0;
  let next = 0;
  let stopped = false;
  pump = () => {
    while (!stopped && sent - bytes / size < WINDOW) {
      const i = next++ % pubs.length;
      pubs[i]!.write(batches[i]!);
      sent += 64;
    }
  };
  pump();
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const startBytes = bytes;
  const startCpu = cpuSeconds(broker.pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const messages = (bytes - startBytes) / size;
  const cpu = cpuSeconds(broker.pid) - startCpu;
  const rate = messages / ((performance.now() - t0) / 1000);
  stopped = true;
  for (const p of pubs) p.destroy();
  sub.destroy();
  return { rate, cpuPerMessage: (cpu * 1e6) / messages };
}

/** Chromium at the lowest CPU priority: an open dashboard, not a competitor of the load. */
function niceChromium(): string {
  const path = join(dir, 'chromium');
  writeFileSync(path, `#!/bin/sh\nexec nice -n 19 ${CHROMIUM} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The "dashboard open" load: Chromium on the overview page, plus a Prometheus-like scraper. */
async function observers(httpPort: number): Promise<() => Promise<void>> {
  const base = `http://127.0.0.1:${httpPort}`;
  const scrape = setInterval(() => {
    fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } }).then(
      (r) => r.text(),
      () => {},
    );
  }, 1000);
  if (!browser) {
    const poll = setInterval(() => {
      for (const path of ['/api/v1/metrics', '/api/v1/metrics/history', '/api/v1/status'])
        fetch(base + path, { headers: { authorization: `Bearer ${KEY}` } }).then(
          (r) => r.text(),
          () => {},
        );
    }, 2000);
    return async () => {
      clearInterval(scrape);
      clearInterval(poll);
    };
  }
  const context = await chromium.launchPersistentContext(join(dir, `profile-${Date.now()}`), {
    executablePath: niceChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${base}/`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'bench');
  await page.click('button[type=submit]');
  await page.getByTestId('status').waitFor({ timeout: 10_000 });
  // Let the browser finish starting up: the comparison is with a dashboard open, not opening.
  await new Promise((r) => setTimeout(r, 3000));
  return async () => {
    clearInterval(scrape);
    await context.close();
  };
}

/**
 * Two brokers run side by side for the whole comparison, one plain and one with the HTTP
 * listener and an open dashboard; short rounds alternate between them, so that the machine's
 * other load hits both alike. The ratio is taken per round (adjacent runs), then the median.
 */
async function throughput(): Promise<void> {
  const rounds = quick ? 4 : 16;
  const seconds = quick ? 2 : 3;
  const plain: FaninResult[] = [];
  const observed: FaninResult[] = [];
  const ratios: number[] = [];
  console.log(pinned ? '\nbrokers pinned to CPU 0, load and browser to CPU 1' : '\nno CPU pinning');
  const label = `API + metrics + ${browser ? 'dashboard open in Chromium' : 'dashboard polling'}`;
  console.log(
    `QoS 0 fan-in, ${PUBLISHERS} publishers → 1 subscriber, ${PAYLOAD.length} B payloads, window ${WINDOW}, ${rounds} rounds of ${seconds} s, alternating between a plain broker and one with ${label}:`,
  );
  const without = await startBroker(false);
  const withHttp = await startBroker(true);
  const stopObservers = await observers(withHttp.httpPort);
  try {
    for (let round = 0; round < rounds; round++) {
      const pair: Record<string, FaninResult> = {};
      for (const broker of round % 2 === 0 ? [without, withHttp] : [withHttp, without]) {
        const result = await fanin(broker, seconds);
        pair[broker === withHttp ? 'with' : 'without'] = result;
      }
      plain.push(pair.without!);
      observed.push(pair.with!);
      ratios.push(pair.with!.rate / pair.without!.rate);
      const show = (r: FaninResult) =>
        `${Math.round(r.rate).toLocaleString('en').padStart(9)} msg/s ${r.cpuPerMessage.toFixed(2)} µs/msg`;
      console.log(
        `  round ${String(round + 1).padStart(2)}  without ${show(pair.without!)}   with ${show(pair.with!)}   ratio ${ratios.at(-1)!.toFixed(3)}`,
      );
    }
  } finally {
    await stopObservers();
    await withHttp.stop();
    await without.stop();
  }
  const rate = (xs: FaninResult[]) => median(xs.map((x) => x.rate));
  const cpu = (xs: FaninResult[]) => median(xs.map((x) => x.cpuPerMessage));
  const ratio = median(ratios);
  console.log(
    `  medians without: ${Math.round(rate(plain)).toLocaleString('en')} msg/s (${cpu(plain).toFixed(2)} µs/msg), with: ${Math.round(rate(observed)).toLocaleString('en')} msg/s (${cpu(observed).toFixed(2)} µs/msg)`,
  );
  console.log(
    `  median per-round throughput ratio ${ratio.toFixed(3)} (target ≥ 0.95: ${ratio >= 0.95 ? 'ok' : 'BELOW'}); broker CPU per message ratio ${(cpu(observed) / cpu(plain)).toFixed(3)}`,
  );
}

try {
  await clientsList();
  await throughput();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
