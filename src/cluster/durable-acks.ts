// Acknowledgements that wait for the other nodes' stores (durability: sync in a cluster).
// The node that accepts a QoS 1/2 PUBLISH knows which other nodes hold persistent sessions
// it may reach (durable-interest.ts). It sends the batch with a reply subject and releases
// the PUBACK / PUBREC only when each of those nodes has answered that its store holds the
// batch (or its subscribers acknowledged it).
import type { ClusterMessage } from '../broker/ports.js';

/** Other nodes did not confirm in time: the publishers waiting for them are closed. */
export class ClusterAckTimeout extends Error {
  override name = 'ClusterAckTimeout';
}

interface Pending {
  messages: ClusterMessage[];
  missing: Set<string>;
  /** Timeouts so far: a silent node gets a few before the acknowledgement fails. */
  expiries: number;
  done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** What this node knows of another: answering, silent (no heartbeat), or gone (reaped). */
export type NodeLiveness = 'up' | 'silent' | 'gone';

const SILENT_EXPIRIES = 3;

/**
 * Batches sent with a reply subject, waiting for the nodes that must confirm them. A node
 * that does not confirm in time is waited for while it is silent (it may come back); once it
 * is back or reaped, its persistent sessions are elsewhere or restored, possibly without the
 * batch: the batch is redelivered to exactly those sessions, which skip what they hold.
 */
export class PendingAcks {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly timeoutMs: number,
    private readonly liveness: (node: string) => NodeLiveness,
    /** Sends the messages again, for the sessions that `nodes` held. */
    private readonly redeliver: (nodes: Set<string>, messages: ClusterMessage[]) => void,
  ) {}

  /** `messages` carry the ids the receivers gave them (envelope.ts decodeBatch). */
  expect(seq: number, nodes: Set<string>, messages: ClusterMessage[]): void {
    // A node already reaped will never confirm: its sessions are elsewhere, or on their way
    // (its filters stay announced until they are), so they get the batch at once.
    const gone = new Set([...nodes].filter((node) => this.liveness(node) === 'gone'));
    if (gone.size > 0) {
      this.redeliver(gone, messages);
      for (const node of gone) nodes.delete(node);
      if (nodes.size === 0) return;
    }
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {});
    const timer = setTimeout(() => this.expire(seq), this.timeoutMs);
    this.pending.set(seq, { messages, missing: nodes, expiries: 0, done, resolve, reject, timer });
  }

  acked(seq: number, node: string): void {
    const entry = this.pending.get(seq);
    if (entry === undefined || !entry.missing.delete(node) || entry.missing.size > 0) return;
    this.settle(seq, entry);
  }

  private expire(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined) return;
    const silent = [...entry.missing].filter((node) => this.liveness(node) === 'silent');
    if (silent.length > 0 && ++entry.expiries < SILENT_EXPIRIES) {
      entry.timer = setTimeout(() => this.expire(seq), this.timeoutMs);
      return;
    }
    if (silent.length > 0) {
      this.pending.delete(seq);
      entry.reject(
        new ClusterAckTimeout(
          `cluster: nodes ${silent.join(', ')} stayed silent with a QoS 1/2 message unconfirmed`,
        ),
      );
      return;
    }
    this.redeliver(entry.missing, entry.messages);
    this.settle(seq, entry);
  }

  private settle(seq: number, entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.resolve();
  }

  /** Resolves once every batch sent so far is confirmed; rejects if one never was. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return Promise.all([...this.pending.values()].map((p) => p.done)).then(() => {});
  }

  close(): void {
    for (const [seq, entry] of this.pending) this.settle(seq, entry);
  }
}
