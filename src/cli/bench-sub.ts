// `culex bench sub`: subscribers counting messages, end-to-end latency (from the send time
// `bench pub` puts in each payload), sequence gaps and duplicates per publisher.
import type { Message } from '../client/index.js';
import { type BenchFlags, openClients, sleep, topicFor } from './bench.js';
import { FeedbackReporter, isFeedback } from './bench-feedback.js';
import { PAYLOAD_MAGIC } from './bench-pub.js';
import { type Counters, Histogram, Reporter, formatSummary, nowMicros } from './bench-stats.js';

interface SubFlags extends BenchFlags {
  topic: string;
  idle: number;
  feedback: boolean;
  feedbackTopic: string;
}

/** Per publisher: the next sequence number expected. */
class SequenceCheck {
  readonly #expected = new Map<number, number>();
  gaps = 0;
  duplicates = 0;

  /** Returns the next sequence number expected from `publisher`. */
  see(publisher: number, sequence: number): number {
    const expected = this.#expected.get(publisher);
    if (expected === undefined || sequence >= expected) {
      if (expected !== undefined) this.gaps += sequence - expected;
      this.#expected.set(publisher, sequence + 1);
      return sequence + 1;
    }
    this.duplicates++;
    return expected;
  }
}

export async function runSub(flags: SubFlags): Promise<void> {
  const counters: Counters = { done: 0, connected: 0, errors: 0 };
  const latency = new Histogram();
  const sequences = new SequenceCheck();
  const reporter = new Reporter('sub', counters, flags.count, flags.warmup, flags.quiet ?? false);
  const errors = new Set<string>();
  let firstMessage = 0;
  let lastMessage = 0;
  let feedback: FeedbackReporter | undefined;
  const onMessage = (message: Message) => {
    const p = message.payload;
    if (isFeedback(p)) return;
    counters.done++;
    lastMessage = Date.now();
    firstMessage ||= lastMessage;
    if (p.length < 20) return;
    const view = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (view.readUInt32BE(0) !== PAYLOAD_MAGIC) return;
    latency.record(nowMicros() - view.readDoubleBE(4));
    const publisher = view.readUInt32BE(12);
    const next = sequences.see(publisher, view.readUInt32BE(16));
    feedback?.note(publisher, next);
  };
  const clients = await openClients(flags, counters, (e) => errors.add(String(e)));
  if (flags.feedback && clients[0])
    feedback = new FeedbackReporter(clients[0], flags.feedbackTopic);
  await Promise.all(
    clients.map((client, i) => {
      client.on('message', onMessage);
      return client.subscribe(topicFor(flags.topic, i), { qos: flags.qos }).catch((e) => {
        counters.errors++;
        errors.add(String(e));
      });
    }),
  );
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  const deadline =
    flags.duration > 0 ? Date.now() + flags.duration * 1000 : Number.POSITIVE_INFINITY;
  while (!stopped && Date.now() < deadline && counters.connected > 0) {
    if (flags.idle > 0 && lastMessage > 0 && Date.now() - lastMessage > flags.idle * 1000) break;
    await sleep(50);
  }
  process.off('SIGINT', stop);
  feedback?.stop();
  // The window ends with the last message, not with the idle time that followed it.
  const { rate, seconds } = reporter.stop({ first: firstMessage, last: lastMessage });
  await Promise.all(clients.map((c) => c.end({ force: true })));
  const summary = {
    received: counters.done,
    rate,
    seconds,
    gaps: sequences.gaps,
    duplicates: sequences.duplicates,
  };
  if (flags.json) {
    const json = {
      scenario: 'sub',
      clients: flags.count,
      qos: flags.qos,
      ...summary,
      rate: Math.round(rate),
      errors: counters.errors,
      latencyUs: latency.summary(),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    const lines: [string, string | number][] = [
      ['clients', flags.count],
      ['received', counters.done],
      ['rate', `${Math.round(rate).toLocaleString('en')} msg/s over ${seconds.toFixed(1)} s`],
      ['gaps', sequences.gaps],
      ['duplicates', sequences.duplicates],
      ['errors', counters.errors],
    ];
    process.stdout.write(
      formatSummary(`sub: QoS ${flags.qos}`, lines, { label: 'end-to-end', histogram: latency }),
    );
  }
  for (const error of [...errors].slice(0, 5)) process.stderr.write(`${error}\n`);
}
