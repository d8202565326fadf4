// Messages on their way to the other nodes: gathered per subject during one turn of the
// event loop and sent as one stamped batch (envelope.ts). A batch that may reach persistent
// sessions on other nodes goes with a reply subject, and waits for those nodes to confirm
// (durable-acks.ts).
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../broker/hooks.js';
import type { ClusterMessage } from '../broker/ports.js';
import type { PendingAcks } from './durable-acks.js';
import type { DurableInterest } from './durable-interest.js';
import { encodeBatch, type Stamp } from './envelope.js';
import { messageSubject } from './subject.js';

const SUBJECT_CACHE = 10_000;

interface Batch {
  topic: string;
  messages: ClusterMessage[];
  /** Estimated bytes: a batch goes before it nears NATS' maximum payload. */
  bytes: number;
  /** Nodes that must confirm this batch is in their store. */
  confirmers: Set<string> | undefined;
}

export class Outbox {
  private batches = new Map<string, Batch>();
  /** Subjects of recent topics: most traffic reuses a few topics. */
  private readonly subjects = new Map<string, string>();
  private readonly publishAll = () => this.publish();

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    /** Where confirmations come back to: `<ackPrefix>.<batch seq>`. */
    private readonly ackPrefix: string,
    private readonly stamp: Stamp,
    private readonly durable: DurableInterest,
    private readonly acks: PendingAcks,
    /** NATS' maximum payload; no message is larger (the broker's maximum packet size). */
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** Queues a message; true when nodes holding persistent sessions will have to confirm it. */
  add(message: ClusterMessage): boolean {
    const subject = this.subjectOf(message.topic);
    if (this.batches.size === 0) setImmediate(this.publishAll);
    const bytes = message.payload.length + 3 * message.topic.length + 1024;
    let batch = this.batches.get(subject);
    if (batch !== undefined && batch.bytes + bytes > this.maxBytes / 2) {
      this.send(subject, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { topic: message.topic, messages: [], bytes: 0, confirmers: undefined };
      this.batches.set(subject, batch);
    }
    batch.messages.push(message);
    batch.bytes += bytes;
    if (message.qos === 0) return false;
    const nodes = this.durable.nodesFor(message.topic);
    if (nodes.size === 0) return false;
    batch.confirmers ??= new Set();
    for (const node of nodes) batch.confirmers.add(node);
    return true;
  }

  private subjectOf(topic: string): string {
    let subject = this.subjects.get(topic);
    if (subject === undefined) {
      if (this.subjects.size >= SUBJECT_CACHE) this.subjects.clear();
      subject = messageSubject(this.prefix, topic);
      this.subjects.set(topic, subject);
    }
    return subject;
  }

  private publish(): void {
    const batches = this.batches;
    if (batches.size === 0) return;
    this.batches = new Map();
    for (const [subject, batch] of batches) this.send(subject, batch);
  }

  private send(subject: string, batch: Batch): void {
    const seq = ++this.stamp.seq;
    try {
      const data = encodeBatch(this.stamp, batch.messages);
      if (batch.confirmers === undefined) this.nc.publish(subject, data);
      else this.nc.publish(subject, data, { reply: `${this.ackPrefix}.${seq}` });
    } catch (err) {
      // Larger than estimated (big properties): every message alone fits.
      if (batch.messages.length > 1) {
        for (const message of batch.messages) this.send(subject, { ...batch, messages: [message] });
      } else this.log.error({ err: String(err), topic: batch.topic }, 'cluster: message not sent');
      return;
    }
    if (batch.confirmers === undefined) return;
    // The ids the receivers know these messages by (decodeBatch), for a redelivery to match.
    const prefix = `${this.stamp.incarnation.toString(36)}.${seq}.`;
    const messages = batch.messages.map((m, i) => ({ ...m, id: m.id ?? `${prefix}${i}` }));
    this.acks.expect(seq, batch.confirmers, messages);
  }

  /** Sends what is queued now, then waits for every confirmation asked so far. */
  flush(): Promise<void> {
    this.publish();
    return this.acks.flush();
  }
}
