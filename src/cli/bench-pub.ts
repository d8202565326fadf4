// `culex bench pub`: publishers at a target rate or as fast as they can.
import type { MqttClient, QoS } from '../client/index.js';
import { type BenchFlags, openClients, sleep, topicFor } from './bench.js';
import { type Counters, Histogram, Reporter, formatSummary, nowMicros } from './bench-stats.js';

interface PubFlags extends BenchFlags {
  topic: string;
  size: number;
  rate: number;
  inflight: number;
  limit: number;
  retain?: boolean;
}

/** Payload layout shared with `bench sub`: magic, send time (µs), publisher id, sequence. */
export const PAYLOAD_MAGIC = 0x43584231; // "CXB1"
const BATCH = 256;

interface RunState {
  stopped: boolean;
  counters: Counters;
  latency: Histogram;
}

export async function runPub(flags: PubFlags): Promise<void> {
  const state: RunState = {
    stopped: false,
    counters: { done: 0, connected: 0, errors: 0 },
    latency: new Histogram(),
  };
  const reporter = new Reporter(
    'pub',
    state.counters,
    flags.count,
    flags.warmup,
    flags.quiet ?? false,
  );
  const errors = new Set<string>();
  const clients = await openClients(flags, state.counters, (e) => errors.add(String(e)));
  const stop = () => {
    state.stopped = true;
  };
  process.once('SIGINT', stop);
  const timer = flags.duration > 0 ? setTimeout(stop, flags.duration * 1000) : undefined;
  const perClientRate = flags.rate > 0 ? flags.rate / flags.count : 0;
  await Promise.all(
    clients.map((client, i) => publishLoop(client, i, flags, perClientRate, state)),
  );
  clearTimeout(timer);
  process.off('SIGINT', stop);
  const { rate, seconds } = reporter.stop();
  await Promise.all(clients.map((c) => c.end({ timeout: 2_000 })));
  report(flags, state, rate, seconds, errors);
}

function report(
  flags: PubFlags,
  state: RunState,
  rate: number,
  seconds: number,
  errors: Set<string>,
) {
  const { done, errors: errorCount } = state.counters;
  const what = flags.qos === 0 ? 'sent' : 'acknowledged';
  if (flags.json) {
    const summary = {
      scenario: 'pub',
      clients: flags.count,
      qos: flags.qos,
      size: flags.size,
      [what]: done,
      rate: Math.round(rate),
      seconds,
      errors: errorCount,
      latencyUs: state.latency.summary(),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const lines: [string, string | number][] = [
      ['clients', flags.count],
      [what, done],
      ['rate', `${Math.round(rate).toLocaleString('en')} msg/s over ${seconds.toFixed(1)} s`],
      ['errors', errorCount],
    ];
    const latency = flags.qos > 0 ? { label: 'publish→ack', histogram: state.latency } : undefined;
    process.stdout.write(
      formatSummary(`pub: QoS ${flags.qos}, ${flags.size}-byte payloads`, lines, latency),
    );
  }
  for (const error of [...errors].slice(0, 5)) process.stderr.write(`${error}\n`);
}

/** Releases messages at the client's share of the target rate; Infinity when unpaced. */
class Pacer {
  readonly #start = performance.now();
  #released = 0;
  constructor(private readonly perSecond: number) {}

  available(): number {
    if (this.perSecond === 0) return Number.POSITIVE_INFINITY;
    const due = Math.floor(((performance.now() - this.#start) / 1000) * this.perSecond);
    return due - this.#released;
  }

  take(n: number): void {
    this.#released += n;
  }

  /** ms until the next message is due. */
  wait(): number {
    // Sleeping at least 5 ms lets messages go out in batches: far fewer wake-ups and writes.
    return Math.max(5, 1000 / this.perSecond);
  }
}

function makePayload(size: number, publisher: number, sequence: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  payload.writeUInt32BE(PAYLOAD_MAGIC, 0);
  payload.writeDoubleBE(nowMicros(), 4);
  payload.writeUInt32BE(publisher, 12);
  payload.writeUInt32BE(sequence, 16);
  if (size > 20) payload.fill(0x61, 20);
  return payload;
}

async function publishLoop(
  client: MqttClient,
  index: number,
  flags: PubFlags,
  rate: number,
  state: RunState,
) {
  const topic = topicFor(flags.topic, index);
  const publisher = (((process.pid & 0xffff) << 16) | (index & 0xffff)) >>> 0;
  const pacer = new Pacer(rate);
  const qos = flags.qos as QoS;
  let sequence = 0;
  const more = () =>
    !state.stopped && client.connected && (flags.limit === 0 || sequence < flags.limit);
  const next = () => makePayload(flags.size, publisher, sequence++);
  if (qos === 0) {
    while (more()) {
      const n = Math.min(BATCH, pacer.available());
      if (n <= 0) {
        await sleep(pacer.wait());
        continue;
      }
      pacer.take(n);
      let last: Promise<unknown> = Promise.resolve();
      for (let k = 0; k < n && more(); k++) {
        last = client.publish(topic, next(), { qos: 0, retain: flags.retain });
        state.counters.done++;
      }
      await last.catch(() => state.counters.errors++);
      await new Promise((resolve) => setImmediate(resolve)); // let sockets and timers run
    }
    return;
  }
  await windowed(client, topic, flags, pacer, state, more, next);
}

/** QoS 1/2: keeps `inflight` messages unacknowledged; latency is publish→PUBACK/PUBCOMP. */
function windowed(
  client: MqttClient,
  topic: string,
  flags: PubFlags,
  pacer: Pacer,
  state: RunState,
  more: () => boolean,
  next: () => Buffer,
): Promise<void> {
  return new Promise((resolve) => {
    let inflight = 0;
    let waiting = false;
    const fill = () => {
      waiting = false;
      while (inflight < flags.inflight && more()) {
        if (pacer.available() <= 0) {
          if (!waiting) {
            waiting = true;
            setTimeout(fill, pacer.wait());
          }
          return;
        }
        pacer.take(1);
        inflight++;
        const sent = nowMicros();
        client.publish(topic, next(), { qos: flags.qos, retain: flags.retain }).then(
          () => {
            state.latency.record(nowMicros() - sent);
            state.counters.done++;
            inflight--;
            fill();
          },
          () => {
            state.counters.errors++;
            inflight--;
            fill();
          },
        );
      }
      if (inflight === 0 && !more()) resolve();
    };
    fill();
  });
}
