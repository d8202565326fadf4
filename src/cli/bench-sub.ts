// `culex bench sub`: subscribers counting messages, end-to-end latency (from the send time
// `bench pub` puts in each payload), sequence gaps and duplicates per publisher. It also
// reports its progress to `bench pub -E` (closed loop), unless --no-feedback.
import { type Message, MqttClient } from '../client/index.js';
import {
  type BenchFlags,
  brokerUrl,
  clientOptions,
  openClients,
  sleep,
  topicFor,
} from './bench.js';
import { FeedbackReporter, isFeedback } from './bench-feedback.js';
import { PAYLOAD_MAGIC } from './bench-pub.js';
import {
  type Counters,
  Histogram,
  Reporter,
  type RunResult,
  formatSummary,
  nowMicros,
  rateLines,
} from './bench-stats.js';

interface SubFlags extends BenchFlags {
  topic: string;
  idle: number;
  feedback: boolean;
  feedbackTopic: string;
}

/**
 * Per subscriber and publisher: the next sequence number expected. Every subscriber gets its
 * own copy of each message (fan-out), so only a repeat within one subscriber is a duplicate.
 */
class SequenceCheck {
  readonly #expected = new Map<number, number>();
  /** Per publisher: the furthest any subscriber got, for the feedback to `bench pub -E`. */
  readonly #furthest = new Map<number, number>();
  gaps = 0;
  duplicates = 0;

  /** Returns the next sequence number from `publisher` the furthest subscriber expects. */
  see(subscriber: number, publisher: number, sequence: number): number {
    // Both are below 2^21 and 2^32: the key is an exact integer (< 2^53).
    const key = subscriber * 0x1_0000_0000 + publisher;
    const expected = this.#expected.get(key);
    if (expected !== undefined && sequence < expected) {
      this.duplicates++;
      return this.#furthest.get(publisher)!;
    }
    if (expected !== undefined) this.gaps += sequence - expected;
    this.#expected.set(key, sequence + 1);
    const furthest = Math.max(this.#furthest.get(publisher) ?? 0, sequence + 1);
    this.#furthest.set(publisher, furthest);
    return furthest;
  }
}

/** What the subscribers saw, message by message. */
class Received {
  readonly counters: Counters = { done: 0, connected: 0, errors: 0 };
  readonly latency = new Histogram();
  readonly sequences = new SequenceCheck();
  /** Date.now() of the first and last message. */
  first = 0;
  last = 0;
  feedback: FeedbackReporter | undefined;

  /** The listener of subscriber `index`. */
  listener(index: number): (message: Message) => void {
    return (message) => this.onMessage(message, index);
  }

  onMessage(message: Message, subscriber: number): void {
    const p = message.payload;
    if (isFeedback(p)) return;
    this.counters.done++;
    this.last = Date.now();
    this.first ||= this.last;
    this.counters.firstAt ??= this.last;
    if (p.length < 20) return;
    const view = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (view.readUInt32BE(0) !== PAYLOAD_MAGIC) return;
    this.latency.record(nowMicros() - view.readDoubleBE(4));
    const publisher = view.readUInt32BE(12);
    const next = this.sequences.see(subscriber, publisher, view.readUInt32BE(16));
    this.feedback?.note(publisher, next);
  }
}

export async function runSub(flags: SubFlags): Promise<void> {
  const received = new Received();
  const { counters } = received;
  const reporter = new Reporter('sub', counters, flags.count, flags.warmup, flags.quiet ?? false);
  const errors = new Set<string>();
  const clients = await openClients(flags, counters, (e) => errors.add(String(e)));
  const ownFeedback = flags.feedback && flags.qos > 0;
  const feedbackClient = ownFeedback ? await openFeedbackClient(flags, errors) : undefined;
  const reportVia = flags.feedback ? (feedbackClient ?? clients[0]) : undefined;
  if (reportVia) received.feedback = new FeedbackReporter(reportVia, flags.feedbackTopic);
  await Promise.all(
    clients.map((client, i) => {
      client.on('message', received.listener(i));
      return client.subscribe(topicFor(flags.topic, i), { qos: flags.qos }).catch((e) => {
        counters.errors++;
        errors.add(String(e));
      });
    }),
  );
  await waitForEnd(flags, received);
  received.feedback?.stop();
  // The window ends with the last message, not with the idle time that followed it.
  const result = reporter.stop({ first: received.first, last: received.last });
  await Promise.all([...clients, feedbackClient].map((c) => c?.end({ force: true })));
  report(flags, received, result);
  for (const error of [...errors].slice(0, 5)) process.stderr.write(`${error}\n`);
}

/**
 * At QoS 1 and 2, progress goes out on a connection of its own: behind the subscriber's
 * stream of PUBACKs it would wait for the broker to work through them (Mosquitto reads one
 * packet per socket per loop turn: 100+ ms measured), and the publishers would act on stale
 * news. At QoS 0 it rides on the subscriber's connection, which otherwise carries nothing
 * back: a one-way connection has every read acknowledged at once, so a broker with Nagle's
 * algorithm sends each message in a segment of its own (measured with Mosquitto: 0.9 TCP
 * segments per message instead of 0.015, and 20 % less throughput).
 */
async function openFeedbackClient(flags: SubFlags, errors: Set<string>) {
  const options = clientOptions(flags, 0);
  const client = new MqttClient(brokerUrl(flags), { ...options, clientId: `${options.clientId}f` });
  try {
    await client.start();
    return client;
  } catch (error) {
    errors.add(`feedback connection: ${error}`);
    return undefined;
  }
}

/** Until the duration is over, the subscribers are gone, SIGINT, or --idle after the last message. */
async function waitForEnd(flags: SubFlags, received: Received): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  const deadline =
    flags.duration > 0 ? Date.now() + flags.duration * 1000 : Number.POSITIVE_INFINITY;
  const idleMs = flags.idle * 1000;
  while (!stopped && Date.now() < deadline && received.counters.connected > 0) {
    if (idleMs > 0 && received.last > 0 && Date.now() - received.last > idleMs) break;
    await sleep(50);
  }
  process.off('SIGINT', stop);
}

function report(flags: SubFlags, received: Received, result: RunResult): void {
  const { counters, sequences, latency } = received;
  if (flags.json) {
    const json = {
      scenario: 'sub',
      clients: flags.count,
      qos: flags.qos,
      received: counters.done,
      rate: Math.round(result.rate),
      seconds: result.seconds,
      duration: result.duration,
      gaps: sequences.gaps,
      duplicates: sequences.duplicates,
      errors: counters.errors,
      latencyUs: latency.summary(),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  const lines: [string, string | number][] = [
    ['clients', flags.count],
    ['received', counters.done],
    ...rateLines(result),
    ['gaps', sequences.gaps],
    ['duplicates', sequences.duplicates],
    ['errors', counters.errors],
  ];
  process.stdout.write(
    formatSummary(`sub: QoS ${flags.qos}`, lines, { label: 'end-to-end', histogram: latency }),
  );
}
