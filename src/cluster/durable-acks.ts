// Acknowledgements that wait for the other nodes' stores (durability: sync in a cluster).
// The node that accepts a QoS 1/2 PUBLISH knows which other nodes hold persistent sessions
// it may reach (durable-interest.ts). It sends the batch with a reply subject and releases
// the PUBACK / PUBREC only when each of those nodes has answered that its store holds the
// batch (or its subscribers acknowledged it).
import type { ClusterMessage } from '../broker/ports.js';

/**
 * Other nodes did not confirm in time, or their redelivery could not be kept: the publishers
 * waiting for them are closed.
 */
export class ClusterAckTimeout extends Error {
  override name = 'ClusterAckTimeout';
}

interface Pending {
  messages: ClusterMessage[];
  missing: Set<string>;
  /** Timeouts so far: a silent node gets a few before the acknowledgement fails. */
  expiries: number;
  /** Redeliveries of the batch on their way to the cluster (the acknowledgement waits). */
  sending: number;
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
 * The acknowledgement waits until the redelivery is kept in the cluster (redelivery-stream.ts).
 */
export class PendingAcks {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly timeoutMs: number,
    private readonly liveness: (node: string) => NodeLiveness,
    /** Sends the messages again, for the sessions that `nodes` held; resolves once kept. */
    private readonly redeliver: (nodes: Set<string>, messages: ClusterMessage[]) => Promise<void>,
  ) {}

  /** `messages` carry the ids the receivers gave them (envelope.ts decodeBatch). */
  expect(seq: number, nodes: Set<string>, messages: ClusterMessage[]): void {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {});
    const timer = setTimeout(() => this.expire(seq), this.timeoutMs);
    const entry: Pending = {
      messages,
      missing: nodes,
      expiries: 0,
      sending: 0,
      done,
      resolve,
      reject,
      timer,
    };
    this.pending.set(seq, entry);
    // A node already reaped will never confirm: its sessions are elsewhere, or on their way
    // (its filters stay announced until they are), so they get the batch at once.
    const gone = [...nodes].filter((node) => this.liveness(node) === 'gone');
    if (gone.length > 0) this.redeliverFor(seq, entry, new Set(gone));
  }

  acked(seq: number, node: string): void {
    const entry = this.pending.get(seq);
    if (entry === undefined || !entry.missing.delete(node)) return;
    this.settleIfDone(seq, entry);
  }

  private expire(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined || entry.missing.size === 0) return;
    const silent = [...entry.missing].filter((node) => this.liveness(node) === 'silent');
    if (silent.length > 0 && ++entry.expiries < SILENT_EXPIRIES) {
      entry.timer = setTimeout(() => this.expire(seq), this.timeoutMs);
      return;
    }
    if (silent.length > 0) {
      this.fail(
        seq,
        entry,
        new ClusterAckTimeout(
          `cluster: nodes ${silent.join(', ')} stayed silent with a QoS 1/2 message unconfirmed`,
        ),
      );
      return;
    }
    this.redeliverFor(seq, entry, new Set(entry.missing));
  }

  /** The batch goes again for the sessions `nodes` held: they no longer need to confirm. */
  private redeliverFor(seq: number, entry: Pending, nodes: Set<string>): void {
    for (const node of nodes) entry.missing.delete(node);
    entry.sending++;
    this.redeliver(nodes, entry.messages).then(
      () => {
        entry.sending--;
        this.settleIfDone(seq, entry);
      },
      // Only the publishers waiting for it are closed; they send again.
      (err: Error) =>
        this.fail(seq, entry, new ClusterAckTimeout(`cluster: redelivery not kept: ${err}`)),
    );
  }

  private settleIfDone(seq: number, entry: Pending): void {
    if (entry.missing.size === 0 && entry.sending === 0) this.settle(seq, entry);
  }

  private settle(seq: number, entry: Pending): void {
    if (this.pending.get(seq) !== entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.resolve();
  }

  private fail(seq: number, entry: Pending, error: Error): void {
    if (this.pending.get(seq) !== entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.reject(error);
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
