// Group commit for a JetStream KV bucket, as the LMDB writer does for the disk: writes queue
// up while one group is in flight (and a few ms more), and go as the next group when it lands. A key written and
// then deleted before its group starts is never sent at all: a QoS 1 message that its
// subscriber acknowledged while the previous group was in flight costs the cluster nothing.
import type { KV } from '@nats-io/kv';
import { retrying } from './retry.js';

const DELETE = null;
const RETRY_MS = 5000;

type Value = string | (() => string);

export class KvWriter {
  /** The next group: the last value (or DELETE) per key; a function is encoded only if sent. */
  private queued = new Map<string, Value | typeof DELETE>();
  /** Keys written by a landed or in-flight group: a delete of these must be sent. */
  private readonly written = new Set<string>();
  /** The group in flight, settled either way: the next one starts after it. */
  private inflight: Promise<void> = Promise.resolve();
  /** The last group sent: resolves once it landed, rejects if a write of it failed. */
  private landed: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;

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
    // A key put again keeps its first number: its waiters need the newer value sent too.
    if (!this.livePuts.has(key)) this.livePuts.set(key, ++this.puts);
    this.schedule();
  }

  delete(key: string): void {
    const queued = this.queued.get(key);
    if (queued !== undefined && queued !== DELETE && !this.written.has(key)) {
      this.queued.delete(key);
      this.livePuts.delete(key);
      this.release();
      return;
    }
    this.queued.set(key, DELETE);
    // Its put, if one was waiting, is superseded: nobody waits for it any more.
    if (this.livePuts.delete(key)) this.release();
    this.schedule();
  }

  private schedule(): void {
    if (this.next !== undefined) return;
    this.next = this.inflight
      .then(() => new Promise((resolve) => setTimeout(resolve, this.gatherMs)))
      .then(() => this.commit());
    // A failure is reported to flush(); a group nobody flushes must not crash the process.
    this.next.catch(() => {});
  }

  /**
   * Resolves once everything written so far has landed; rejects if a write of the last group
   * failed (that group's writes are then lost; later groups are not affected).
   */
  flush(): Promise<void> {
    return this.next ?? this.landed;
  }

  /** Puts of the next group still to be sent, with the number of their first put: oldest first. */
  private readonly livePuts = new Map<string, number>();
  private puts = 0;
  /** flushPuts() calls waiting for the next group, oldest first, with the last put they need. */
  private waiters: { last: number; resolve(): void }[] = [];

  /**
   * Resolves once every put made so far has landed or been cancelled by a delete (a QoS 1
   * message acknowledged meanwhile need not be kept any more): a node confirming messages
   * its subscribers have already acknowledged need not wait for the next group.
   */
  flushPuts(): Promise<void> {
    const next = this.next;
    if (next === undefined || this.livePuts.size === 0) return this.landed;
    const before = this.landed;
    const cancelled = new Promise<void>((resolve) => {
      this.waiters.push({ last: this.puts, resolve });
    });
    return Promise.race([next, cancelled.then(() => before)]);
  }

  /** Wakes the waiters none of whose puts is still to be sent. */
  private release(): void {
    const oldest = this.livePuts.values().next().value;
    let done = 0;
    while (
      done < this.waiters.length &&
      (oldest === undefined || oldest > this.waiters[done]!.last)
    )
      this.waiters[done++]!.resolve();
    if (done > 0) this.waiters = this.waiters.slice(done);
  }

  private commit(): Promise<void> {
    this.next = undefined;
    // This group's puts are sent: their waiters wait for it to land; no delete cancels them.
    this.livePuts.clear();
    this.waiters = [];
    const group = this.queued;
    this.queued = new Map();
    const writes: Promise<unknown>[] = [];
    for (const [key, value] of group) {
      // Puts and deletes are idempotent: a write that fails while a stream elects a new
      // leader is simply sent again, within a bound.
      if (value === DELETE) {
        this.written.delete(key);
        writes.push(retrying(() => this.kv.delete(key), RETRY_MS));
      } else {
        this.written.add(key);
        const text = typeof value === 'string' ? value : value();
        writes.push(retrying(() => this.kv.put(key, text), RETRY_MS));
      }
    }
    const landed = Promise.all(writes).then(() => {});
    landed.catch(() => {});
    this.landed = landed;
    this.inflight = landed.catch(() => {});
    return landed;
  }
}
