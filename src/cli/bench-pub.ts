// `culex bench pub`: publishers at a target rate or as fast as they can. As fast as they can
// is closed loop while a `bench sub` reports its progress, as mqttload's fan-in: at most E
// messages per publisher between publish and the subscriber seeing them (-E 0: open loop).
import { MqttClient, type PublishOptions } from '../client/index.js';
import { type BenchFlags, brokerUrl, clientOptions, openClients, topicFor } from './bench.js';
import { EndToEndWindow, FEEDBACK_QOS } from './bench-feedback.js';
import {
  type Counters,
  Histogram,
  Reporter,
  type RunResult,
  formatSummary,
  nowMicros,
  rateLines,
} from './bench-stats.js';

interface PubFlags extends BenchFlags {
  topic: string;
  size: number;
  rate: number;
  inflight: number;
  refill?: number;
  /** Undefined: 10 000 / clients, as mqttload's default. */
  e2eWindow?: number;
  feedbackTopic: string;
  limit: number;
  retain?: boolean;
}

/** Payload layout shared with `bench sub`: magic, send time (µs), publisher id, sequence. */
export const PAYLOAD_MAGIC = 0x43584231; // "CXB1"
/** Unpaced QoS 0 publishers write about this many bytes at a time (as mqttload does). */
const BATCH_BYTES = 64 * 1024;

interface RunState {
  stopped: boolean;
  counters: Counters;
  latency: Histogram;
  window: EndToEndWindow | undefined;
}

/** One publisher: its client, identity, pacing and where the run stands. */
interface Publisher {
  client: MqttClient;
  topic: string;
  id: number;
  pacer: Pacer;
  flags: PubFlags;
  state: RunState;
  sequence: number;
  template: Buffer;
  options: PublishOptions;
}

export async function runPub(flags: PubFlags): Promise<void> {
  const state: RunState = {
    stopped: false,
    counters: { done: 0, connected: 0, errors: 0 },
    latency: new Histogram(),
    window: undefined,
  };
  // Before the live line starts: a broker that refuses the feedback connection ends the run.
  const e2eWindow = flags.e2eWindow ?? Math.max(16, Math.floor(10_000 / flags.count));
  const feedback = e2eWindow > 0 && flags.rate === 0 ? await listen(flags, e2eWindow) : undefined;
  state.window = feedback?.window;
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
    state.window?.stop();
  };
  process.once('SIGINT', stop);
  const timer = flags.duration > 0 ? setTimeout(stop, flags.duration * 1000) : undefined;
  const perClientRate = flags.rate > 0 ? flags.rate / flags.count : 0;
  const publishing = Date.now();
  state.counters.firstAt = publishing;
  await Promise.all(
    clients.map((client, i) => publishLoop(publisher(client, i, flags, perClientRate, state))),
  );
  clearTimeout(timer);
  process.off('SIGINT', stop);
  state.window?.stop();
  // The window ends when publishing stopped, not at the last whole-second tick before it.
  const result = reporter.stop({ first: publishing, last: Date.now() });
  await Promise.all(clients.map((c) => c.end({ timeout: 2_000 })));
  await feedback?.client.end({ force: true });
  report(flags, state, result, errors);
}

/** The closed loop's ears: one more connection, subscribed to what `bench sub` reports. */
async function listen(flags: PubFlags, e2eWindow: number) {
  const options = clientOptions(flags, 0);
  const client = new MqttClient(brokerUrl(flags), { ...options, clientId: `${options.clientId}f` });
  await client.start();
  try {
    await client.subscribe(flags.feedbackTopic, { qos: FEEDBACK_QOS });
  } catch (error) {
    client.destroy();
    throw error;
  }
  const window = new EndToEndWindow(e2eWindow);
  client.on('message', (message) => window.onFeedback(message.payload));
  return { client, window };
}

function publisher(
  client: MqttClient,
  index: number,
  flags: PubFlags,
  rate: number,
  state: RunState,
): Publisher {
  const id = (((process.pid & 0xffff) << 16) | (index & 0xffff)) >>> 0;
  state.window?.add(id);
  const topic = topicFor(flags.topic, index);
  const template = payloadTemplate(flags.size, id);
  const options = { qos: flags.qos, retain: flags.retain };
  const pacer = new Pacer(rate);
  return { client, topic, id, pacer, flags, state, sequence: 0, template, options };
}

function report(flags: PubFlags, state: RunState, result: RunResult, errors: Set<string>) {
  const { done, errors: errorCount } = state.counters;
  const what = flags.qos === 0 ? 'sent' : 'acknowledged';
  const window = state.window && { e2eWindow: state.window.size, e2eResets: state.window.resets };
  if (flags.json) {
    const summary = {
      scenario: 'pub',
      clients: flags.count,
      qos: flags.qos,
      size: flags.size,
      [what]: done,
      rate: Math.round(result.rate),
      seconds: result.seconds,
      duration: result.duration,
      errors: errorCount,
      ...window,
      latencyUs: state.latency.summary(),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const lines: [string, string | number][] = [
      ['clients', flags.count],
      [what, done],
      ...rateLines(result),
      ['errors', errorCount],
    ];
    if (window) lines.push(['e2e window', `${window.e2eWindow} (${window.e2eResets} resets)`]);
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
  constructor(readonly perSecond: number) {}

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

/** The payload's constant part: magic, publisher id and filler; the rest is per message. */
function payloadTemplate(size: number, publisher: number): Buffer {
  const template = Buffer.alloc(size, 0x61);
  template.writeUInt32BE(PAYLOAD_MAGIC, 0);
  template.writeUInt32BE(publisher, 12);
  return template;
}

function makePayload(template: Buffer, sequence: number, sentMicros: number): Buffer {
  const payload = Buffer.allocUnsafe(template.length);
  template.copy(payload);
  payload.writeDoubleBE(sentMicros, 4);
  payload.writeUInt32BE(sequence, 16);
  return payload;
}

const more = (p: Publisher) =>
  !p.state.stopped && p.client.connected && (p.flags.limit === 0 || p.sequence < p.flags.limit);

/** How many messages may go now: the pacer's and the end-to-end window's allowance. */
function allowance(p: Publisher, wanted: number): number {
  const window = p.state.window;
  const room = window ? window.room(p.id) : Number.POSITIVE_INFINITY;
  return Math.min(wanted, p.pacer.available(), room);
}

/** Waits until the pacer or the end-to-end window lets `p` send again. */
function blocked(p: Publisher): Promise<void> {
  const window = p.state.window;
  if (window && window.room(p.id) === 0) return window.wait(p.id);
  return new Promise((resolve) => setTimeout(resolve, p.pacer.wait()));
}

/** Messages left before the publisher's limit (-n); Infinity without one. */
const sendable = (p: Publisher) =>
  p.flags.limit === 0 ? Number.POSITIVE_INFINITY : p.flags.limit - p.sequence;

/** Messages of one batch share the send time: they leave in the same write. */
function send(p: Publisher, sentMicros: number): Promise<unknown> {
  const payload = makePayload(p.template, p.sequence++, sentMicros);
  return p.client.publish(p.topic, payload, p.options);
}

async function publishLoop(p: Publisher): Promise<void> {
  if (p.flags.qos > 0) return new Windowed(p).run();
  const batch = Math.max(1, Math.floor(BATCH_BYTES / (p.flags.size + p.topic.length + 4)));
  while (more(p)) {
    const n = allowance(p, batch);
    if (n <= 0) {
      await blocked(p);
      continue;
    }
    p.pacer.take(n);
    let last: Promise<unknown> = Promise.resolve();
    const now = nowMicros();
    const count = Math.min(n, sendable(p));
    for (let k = 0; k < count; k++) last = send(p, now);
    p.state.counters.done += count;
    p.state.window?.sent(p.id, count);
    await last.catch(() => p.state.counters.errors++);
    await new Promise((resolve) => setImmediate(resolve)); // let sockets and timers run
  }
}

/**
 * QoS 1/2: keeps `inflight` messages unacknowledged, refilled `refill` at a time (fewer,
 * larger writes, as mqttload does); latency is publish→PUBACK/PUBCOMP.
 */
class Windowed {
  readonly #refill: number;
  #inflight = 0;
  #waiting = false;
  #finished: () => void = () => {};

  constructor(private readonly p: Publisher) {
    const { flags } = p;
    const paced = p.pacer.perSecond > 0;
    this.#refill = paced ? 1 : (flags.refill ?? Math.max(1, Math.floor(flags.inflight / 4)));
  }

  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#finished = resolve;
      this.#fill();
    });
  }

  readonly #fill = (): void => {
    const p = this.p;
    if (this.#waiting) return;
    if (!more(p)) {
      if (this.#inflight === 0) this.#finished();
      return;
    }
    const free = p.flags.inflight - this.#inflight;
    if (free <= 0 || (free < this.#refill && this.#inflight > 0)) return;
    const n = allowance(p, free);
    if (n <= 0) {
      this.#waiting = true;
      blocked(p).then(this.#resume);
      return;
    }
    p.pacer.take(n);
    const sent = nowMicros();
    const acknowledged = () => this.#settle(true, sent);
    const failed = () => this.#settle(false, sent);
    const count = Math.min(n, sendable(p));
    this.#inflight += count;
    for (let k = 0; k < count; k++) send(p, sent).then(acknowledged, failed);
    p.state.window?.sent(p.id, count);
  };

  readonly #resume = (): void => {
    this.#waiting = false;
    this.#fill();
  };

  #settle(ok: boolean, sent: number): void {
    const { state } = this.p;
    if (ok) {
      state.latency.record(nowMicros() - sent);
      state.counters.done++;
    } else {
      state.counters.errors++;
    }
    this.#inflight--;
    this.#fill();
  }
}
