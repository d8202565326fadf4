// Group commit for a JetStream KV bucket, as the LMDB writer does for the disk: writes queue
// up while one group is in flight (and a few ms more), and go as the next group when it lands. A key written and
// then deleted before its group starts is never sent at all: a QoS 1 message that its
// subscriber acknowledged while the previous group was in flight costs the cluster nothing.
import type { KV } from '@nats-io/kv';

const DELETE = null;

type Value = string | (() => string);

export class KvWriter {
  /** The next group: the last value (or DELETE) per key; a function is encoded only if sent. */
  private queued = new Map<string, Value | typeof DELETE>();
  /** Keys written by a landed or in-flight group: a delete of these must be sent. */
  private readonly written = new Set<string>();
  private inflight: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly kv: KV,
    /**
     * How long a group gathers writes before it goes. A bucket write costs a network round
     * trip and far more CPU than a disk write; a few ms let the acknowledgements of messages
     * just delivered cancel their records first.
     */
    private readonly gatherMs = 5,
  ) {}

  /** A key found in the bucket (loaded at start): deleting it must reach the bucket. */
  exists(key: string): void {
    this.written.add(key);
  }

  put(key: string, value: Value): void {
    this.queued.set(key, value);
    this.schedule();
  }

  delete(key: string): void {
    const queued = this.queued.get(key);
    if (queued !== undefined && queued !== DELETE && !this.written.has(key)) {
      this.queued.delete(key);
      return;
    }
    this.queued.set(key, DELETE);
    this.schedule();
  }

  private schedule(): void {
    this.next ??= this.inflight
      .then(() => new Promise((resolve) => setTimeout(resolve, this.gatherMs)))
      .then(() => this.commit());
  }

  private commit(): Promise<void> {
    this.next = undefined;
    const group = this.queued;
    this.queued = new Map();
    const writes: Promise<unknown>[] = [];
    for (const [key, value] of group) {
      if (value === DELETE) {
        this.written.delete(key);
        writes.push(this.kv.delete(key));
      } else {
        this.written.add(key);
        writes.push(this.kv.put(key, typeof value === 'string' ? value : value()));
      }
    }
    this.inflight = Promise.all(writes).then(
      () => {},
      (err) => {
        this.failure ??= err;
      },
    );
    return this.inflight;
  }

  /** Resolves once everything written so far has landed; rejects if a write failed. */
  async flush(): Promise<void> {
    await (this.next ?? this.inflight);
    if (this.failure !== undefined) throw this.failure;
  }
}
