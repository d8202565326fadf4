// `npm run bench:admin`: the operations listener's cost.
//  1. The clients list with 10k connected clients: time to the first page (target < 50 ms).
//  2. QoS 0 fan-in throughput of one broker process without the HTTP listener, and of one with
//     the API and metrics on, /metrics scraped every second and a dashboard open in headless
//     Chromium; rounds alternate within one run, the ratio of medians should be ≥ 0.95.
// `--quick` shortens the rounds; `--no-browser` polls the dashboard's endpoints instead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { PacketType } from '../src/protocol/constants.js';
import { encode } from '../src/protocol/index.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';

const KEY = 'bench-key-0123456789';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const browser = !args.includes('--no-browser');
const dir = mkdtempSync(join(tmpdir(), 'culex-bench-admin-'));
const configFile = join(dir, 'culex.yaml');
writeFileSync(
  configFile,
  `http:\n  apiKeys:\n    - { name: bench, key: ${KEY} }\n  users:\n    - { username: admin, password: bench }\n`,
);

interface Broker {
  stop(): Promise<void>;
  mqttPort: number;
  httpPort: number;
}

async function startBroker(withHttp: boolean): Promise<Broker> {
  const mqttPort = await freePort();
  const httpPort = withHttp ? await freePort() : 0;
  const base = culexArgs(mqttPort, ['--store', 'memory', '-c', configFile]);
  const at = base.indexOf('--http-port');
  base[at + 1] = String(httpPort);
  const { child } = await startCulex(base);
  return { mqttPort, httpPort, stop: () => stopProcess(child) };
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

/** Pre-encoded PUBLISHes, written as long as the socket takes them. */
function flood(socket: Socket, topic: string, stop: { done: boolean }): void {
  const one = encode(
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
  const batch = Buffer.concat(Array.from({ length: 64 }, () => one));
  const pump = () => {
    while (!stop.done && socket.write(batch)) {}
    if (!stop.done) socket.once('drain', pump);
  };
  pump();
}

/** Messages per second delivered to one subscriber of PUBLISHERS flooding publishers. */
async function fanin(port: number, seconds: number): Promise<number> {
  const topic = (i: number) => `fanin/${String(i).padStart(2, '0')}`;
  const size = encode(
    {
      type: PacketType.Publish,
      topic: topic(0),
      payload: PAYLOAD,
      qos: 0,
      retain: false,
      dup: false,
      properties: {},
    },
    4,
  ).length;
  let bytes = 0;
  const sub = await rawClient(port, `fanin-sub-${Date.now()}`, (n) => (bytes += n));
  const subscribe = encode(
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
  sub.write(subscribe);
  await new Promise((r) => setTimeout(r, 100));
  const stop = { done: false };
  const pubs = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) => rawClient(port, `fanin-pub-${i}-${Date.now()}`)),
  );
  for (const [i, p] of pubs.entries()) flood(p, topic(i), stop);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const start = bytes;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rate = (bytes - start) / size / ((performance.now() - t0) / 1000);
  stop.done = true;
  for (const p of pubs) p.destroy();
  sub.destroy();
  return rate;
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
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
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

async function throughput(): Promise<void> {
  const rounds = quick ? 2 : 4;
  const seconds = quick ? 3 : 5;
  const plain: number[] = [];
  const observed: number[] = [];
  console.log(
    `\nQoS 0 fan-in, ${PUBLISHERS} publishers → 1 subscriber, ${PAYLOAD.length} B payloads, ${rounds} rounds of ${seconds} s each, alternating:`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const withHttp of round % 2 === 0 ? [false, true] : [true, false]) {
      const broker = await startBroker(withHttp);
      const stopObservers = withHttp ? await observers(broker.httpPort) : async () => {};
      try {
        const rate = await fanin(broker.mqttPort, seconds);
        (withHttp ? observed : plain).push(rate);
        const label = withHttp
          ? `API + metrics + ${browser ? 'dashboard in Chromium' : 'dashboard polling'}`
          : 'no HTTP listener';
        console.log(
          `  round ${round + 1}  ${label.padEnd(38)} ${Math.round(rate).toLocaleString('en')} msg/s`,
        );
      } finally {
        await stopObservers();
        await broker.stop();
      }
    }
  }
  const ratio = median(observed) / median(plain);
  console.log(
    `  median without: ${Math.round(median(plain)).toLocaleString('en')} msg/s, with: ${Math.round(median(observed)).toLocaleString('en')} msg/s, ratio ${ratio.toFixed(3)} (target ≥ 0.95: ${ratio >= 0.95 ? 'ok' : 'BELOW'})`,
  );
}

try {
  await clientsList();
  await throughput();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
