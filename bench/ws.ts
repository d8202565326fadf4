// npm run bench:ws: QoS 0 fan-in and fan-out over WebSocket, MQTT 3.1.1, 64-byte payloads, as
// ../shared/bench's fanin-q0 and fanout-q0 do over TCP (that harness speaks TCP only):
//   fanin   options.publishers publishers → bench/ws/<run>/<i>, 1 subscriber on bench/ws/<run>/#
//   fanout  1 publisher → bench/ws/<run>/x, SUBSCRIBERS subscribers
// With --baseline REF the same runs go against that commit too, built in .tmp/ws-baseline/
// from `git archive` with this checkout's node_modules (so REF must need no other packages:
// `git merge-base main HEAD` is the usual before), alternating builds, and the table ends
// with this build's ratio to it per scenario.
//
// Each broker is `culex start` pinned to CPU 0 (taskset); this process, the load, moves to
// CPU 1. The WebSocket clients are raw sockets (HTTP upgrade, then frames read and written
// here) so the load costs little per frame: publishers send batches of PUBLISHes in one
// frame, subscribers read any framing. Closed loop (see qos0-load.ts): at most options.window
// messages per publisher sent but not yet delivered to every subscriber.
//
// Prints a table, then one JSON line last: msg/s per build and scenario (deliveries summed over
// subscribers), and {"ratio": {"fanin": x, "fanout": y}} = this build / baseline.
// Options: --baseline REF, --duration S (5), --warmup S (1), --reps N (3), --window N (1000),
// --publishers N (10), --subscribers N (100).
import { spawnSync } from 'node:child_process';
import type net from 'node:net';
import { join, resolve } from 'node:path';
import { clientFrame, openRawWebSocket, parseFrames } from '../test/transport/raw-websocket.js';
import {
  type Build,
  buildBaseline,
  culexArgs,
  freePort,
  startCulex,
  stopProcess,
} from './broker-process.js';
import {
  connectBytes,
  type Measured,
  measure,
  median,
  type Publisher,
  loadOptions,
  parseArgs,
  percent,
  refill,
  settle,
  subscribeBytes,
  subscriberReader,
  template,
} from './qos0-load.js';

const args = parseArgs(process.argv);
const options = loadOptions(args, { duration: 5, reps: 3 });
const SUBSCRIBERS = Number(args.get('--subscribers') ?? 100);
const BASELINE = args.get('--baseline');
const EMPTY = Buffer.alloc(0);
const ROOT = resolve(import.meta.dirname, '..', '..');
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

type Scenario = 'fanin' | 'fanout';

interface Broker {
  build: Build;
  pid: number;
  wsPort: number;
  stop(): Promise<void>;
}

async function startBroker(build: Build): Promise<Broker> {
  const [port, wsPort] = [await freePort(), await freePort()];
  const pin = hasTaskset ? ['taskset', '-c', '0'] : [];
  const args = culexArgs(port, ['--store', 'memory'], wsPort);
  const { child } = await startCulex(args, pin, 15_000, build.main);
  // taskset execs node, so the child's PID is the broker's.
  return { build, pid: child.pid!, wsPort, stop: () => stopProcess(child) };
}

/**
 * A raw WebSocket client: each frame's payload, buf[start, end), to `onPayload`; bytes out as
 * one frame. The broker's frames hold whole MQTT packets, one or several.
 */
class WsPeer {
  onPayload: (buf: Buffer, start: number, end: number) => void = () => {};
  private pending = EMPTY;

  private constructor(readonly socket: net.Socket) {}

  static async open(port: number): Promise<WsPeer> {
    const { socket, rest } = await openRawWebSocket(port);
    const peer = new WsPeer(socket);
    socket.on('data', (data: Buffer) => peer.read(data));
    peer.read(rest);
    return peer;
  }

  send(payload: Buffer): boolean {
    const [header, body] = clientFrame(payload);
    this.socket.cork();
    this.socket.write(header!);
    const ok = this.socket.write(body!);
    this.socket.uncork();
    return ok;
  }

  /** The next frame's payload. */
  next(): Promise<Buffer> {
    return new Promise((done) => {
      this.onPayload = (buf, start, end) => done(buf.subarray(start, end));
    });
  }

  private read(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const used = parseFrames(buf, (_first, _masked, start, end) => this.onPayload(buf, start, end));
    this.pending = used < buf.length ? Buffer.from(buf.subarray(used)) : EMPTY;
  }
}

async function mqttConnect(port: number, clientId: string): Promise<WsPeer> {
  const peer = await WsPeer.open(port);
  const connack = peer.next();
  peer.send(connectBytes(clientId));
  const bytes = await connack;
  if (bytes[0] !== 0x20 || bytes[3] !== 0)
    throw new Error(`CONNACK refused: ${bytes.toString('hex')}`);
  return peer;
}

async function subscriber(port: number, clientId: string, filter: string): Promise<WsPeer> {
  const peer = await mqttConnect(port, clientId);
  const suback = peer.next();
  peer.send(subscribeBytes(filter));
  await suback;
  return peer;
}

interface Result extends Measured {
  build: string;
  scenario: Scenario;
}

async function run(broker: Broker, scenario: Scenario, rep: number): Promise<Result> {
  const prefix = `bench/ws/${process.pid}/${rep}/${broker.build.name}`;
  const fanout = scenario === 'fanout' ? SUBSCRIBERS : 1;
  const publisherCount = scenario === 'fanin' ? options.publishers : 1;
  const filter = scenario === 'fanin' ? `${prefix}/#` : `${prefix}/x`;
  const subscribers: WsPeer[] = [];
  for (let i = 0; i < fanout; i++)
    subscribers.push(await subscriber(broker.wsPort, `ws-bench-sub-${rep}-${i}`, filter));
  const publishers: Publisher[] = [];
  for (let i = 0; i < publisherCount; i++) {
    const peer = await mqttConnect(broker.wsPort, `ws-bench-pub-${rep}-${i}`);
    const topic = scenario === 'fanin' ? `${prefix}/${i}` : `${prefix}/x`;
    publishers.push({
      send: (batch) => peer.send(batch),
      socket: peer.socket,
      template: template(topic, i),
      sent: 0,
      received: 0,
      fanout,
      blocked: false,
    });
  }
  let running = true;
  const window = { size: options.window, refill: options.refill, running: () => running };
  const readers = subscribers.map((peer) => {
    const reader = subscriberReader(publishers, (p) => refill(p, window));
    peer.onPayload = reader.readPackets;
    return reader;
  });
  for (const p of publishers) refill(p, window);
  const total = () => readers.reduce((n, r) => n + r.total(), 0);
  const measured = await measure(total, broker.pid, options.warmup, options.duration);
  running = false;
  const lost = await settle(publishers);
  for (const peer of subscribers) peer.socket.destroy();
  for (const p of publishers) p.socket.destroy();
  if (lost > 0) console.error(`${broker.build.name} ${scenario}: ${lost} deliveries missing`);
  return { build: broker.build.name, scenario, ...measured };
}

function report(results: Result[], builds: Build[]): void {
  console.log('');
  console.log('| build | scenario | messages | seconds | msg/s | broker CPU | load CPU |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(
      `| ${r.build} | ${r.scenario} | ${r.messages} | ${r.seconds.toFixed(2)} | ` +
        `${Math.round(r.rate)} | ${percent(r.brokerCpu)} | ${percent(r.loadCpu)} |`,
    );
  const rates: Record<string, Record<string, number>> = {};
  for (const b of builds)
    for (const scenario of ['fanin', 'fanout'] as const)
      (rates[b.name] ??= {})[scenario] = Math.round(
        median(
          results.filter((r) => r.build === b.name && r.scenario === scenario).map((r) => r.rate),
        ),
      );
  const summary: Record<string, unknown> = { rates };
  if (builds.length === 2) {
    const [before, after] = builds.map((b) => rates[b.name]!);
    summary.ratio = {
      fanin: Number((after!.fanin! / before!.fanin!).toFixed(3)),
      fanout: Number((after!.fanout! / before!.fanout!).toFixed(3)),
    };
  }
  console.log('');
  console.log(JSON.stringify(summary));
}

async function main(): Promise<void> {
  const current: Build = { name: 'this', main: join(ROOT, 'dist', 'src', 'cli', 'main.js') };
  const builds =
    BASELINE === undefined ? [current] : [buildBaseline(BASELINE, 'ws-baseline'), current];
  if (hasTaskset) spawnSync('taskset', ['-a', '-c', '-p', '1', String(process.pid)]);
  const brokers: Broker[] = [];
  try {
    for (const build of builds) brokers.push(await startBroker(build));
    console.log(
      `QoS 0 over WebSocket: fanin ${options.publishers} → 1, fanout 1 → ${SUBSCRIBERS}, 64-byte ` +
        `payloads, window ${options.window}, ${options.warmup} s warm-up + ${options.duration} s per run, ${options.reps} reps` +
        `${hasTaskset ? ', brokers on CPU 0, load on CPU 1' : ' (no taskset: unpinned)'}`,
    );
    const results: Result[] = [];
    for (let rep = 0; rep < options.reps; rep++)
      for (const scenario of ['fanin', 'fanout'] as const) {
        // Alternate which build goes first, so neither always runs on a warmer host.
        const order = rep % 2 === 0 ? brokers : [...brokers].reverse();
        for (const broker of order) results.push(await run(broker, scenario, rep));
      }
    report(results, builds);
  } finally {
    for (const broker of brokers) await broker.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
