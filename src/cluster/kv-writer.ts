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
    this.schedule();
  }

  delete(key: string): void {
    const queued = this.queued.get(key);
    if (queued !== undefined && queued !== DELETE && !this.written.has(key)) {
      this.queued.delete(key);
      this.cancelled(key);
      return;
    }
    this.queued.set(key, DELETE);
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

  private commit(): Promise<void> {
    this.next = undefined;
    // Puts in this group are sent: a delete can no longer cancel them.
    this.waiters.clear();
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

  /**
   * Resolves once everything written so far has landed; rejects if a write of the last group
   * failed (that group's writes are then lost; later groups are not affected).
   */
  flush(): Promise<void> {
    return this.next ?? this.landed;
  }

  /** Flushes waiting for puts of the next group: done early if all of them are cancelled. */
  private readonly waiters = new Set<{ keys: Set<string>; resolve(): void }>();

  /**
   * Resolves once every put made so far has landed or been cancelled by a delete (a QoS 1
   * message acknowledged meanwhile need not be kept any more): a node confirming messages
   * its subscribers have already acknowledged need not wait for the next group.
   */
  flushPuts(): Promise<void> {
    const next = this.next;
    if (next === undefined) return this.landed;
    const keys = new Set<string>();
    for (const [key, value] of this.queued) if (value !== DELETE) keys.add(key);
    if (keys.size === 0) return this.landed;
    const before = this.landed;
    const cancelled = new Promise<void>((resolve) => {
      const waiter = { keys, resolve };
      this.waiters.add(waiter);
      // Once the group is sent, only its landing counts.
      next.finally(() => this.waiters.delete(waiter)).catch(() => {});
    });
    return Promise.race([next, cancelled.then(() => before)]);
  }

  private cancelled(key: string): void {
    for (const waiter of this.waiters) {
      if (!waiter.keys.delete(key) || waiter.keys.size > 0) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
