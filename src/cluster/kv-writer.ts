// Group commit for a JetStream KV bucket, as the LMDB writer does for the disk: writes queue
// up while one group is in flight (and a few ms more), and go as the next group when it
// lands. A key put and then deleted before its put is sent is never written at all.
//
// Some puts are worth holding back (`put(key, value, true)`): the record of a message just
// sent to a connected subscriber is deleted when the subscriber acknowledges it, usually
// within a millisecond or two. Such a put waits `graceMs` before it may go, and most never
// go. flushPuts() resolves once every put made before it has landed or been cancelled, so a
// node confirming such a message to the publisher's node waits for the subscriber's
// acknowledgement, not for the bucket (a bucket write costs far more CPU than a disk write).
import type { KV } from '@nats-io/kv';
import { removeKey } from './kv-keys.js';
import { retrying } from './retry.js';

const DELETE = null;
const RETRY_MS = 5000;

type Value = string | (() => string);

/** How a put goes: with the next group, held back (for `graceMs`), or after every
 * held-back put made before it has landed. */
export type PutMode = 'now' | 'held' | 'after-held';

interface Pending {
  /** The last value (or DELETE); a function is encoded only if sent. */
  value: Value | typeof DELETE;
  /** When a held-back put may go (0: with the next group). */
  due: number;
  mode: PutMode;
}

export class KvWriter {
  private readonly queued = new Map<string, Pending>();
  /** Keys written by a landed or in-flight group: a delete of these must be sent. */
  private readonly written = new Set<string>();
  /** Puts not sent yet, by the number of their first put: oldest first. */
  private readonly unsent = new Map<string, number>();
  private puts = 0;
  /** flushPuts() calls, oldest first, with the last put each waits for. */
  private waiters: { last: number; settle(): void }[] = [];
  /** The group in flight, settled either way: the next one starts after it. */
  private inflight: Promise<void> = Promise.resolve();
  /** The last group sent: resolves once it landed, rejects if a write of it failed. */
  private landed: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  /** The next group takes held-back puts too (flush). */
  private urgent = false;

  constructor(
    private readonly kv: KV,
    /**
     * How long a group gathers writes before it goes: a few ms let the acknowledgements of
     * messages just delivered cancel their records first.
     */
    private readonly gatherMs = 5,
    /** How long a held-back put waits before it may go. */
    private readonly graceMs = 0,
  ) {}

  /** A key found in the bucket (loaded at start): deleting it must reach the bucket. */
  exists(key: string): void {
    this.written.add(key);
  }

  /**
   * `after-held` is for a record that must not be found without the records held back before
   * it: a QoS 2 packet id received (its resend is then not routed again [MQTT-4.3.3-9]) needs
   * the message's records for its subscribers in the bucket first.
   */
  put(key: string, value: Value, mode: PutMode = 'now'): void {
    const due = mode === 'held' ? Date.now() + this.graceMs : 0;
    const known = this.queued.get(key);
    // Put again, a record keeps the time it has waited already.
    const kept = known !== undefined && known.value !== DELETE ? Math.min(known.due, due) : due;
    this.queued.set(key, { value, due: kept, mode });
    if (!this.unsent.has(key)) this.unsent.set(key, ++this.puts);
    this.schedule();
  }

  delete(key: string): void {
    const known = this.queued.get(key);
    const unsentPut = known !== undefined && known.value !== DELETE;
    if (unsentPut) this.unsent.delete(key);
    if (unsentPut && !this.written.has(key)) this.queued.delete(key);
    else {
      this.queued.set(key, { value: DELETE, due: 0, mode: 'now' });
      this.schedule();
    }
    if (unsentPut) this.release();
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
    const now = Date.now();
    const writes: Promise<unknown>[] = [];
    // Held-back puts made before an `after-held` one go now; that one waits for a later group.
    let lastAfterHeld = 0;
    let firstHeld = Number.POSITIVE_INFINITY;
    for (const [key, { mode }] of this.queued) {
      const number = this.unsent.get(key) ?? 0;
      if (mode === 'after-held') lastAfterHeld = Math.max(lastAfterHeld, number);
      else if (mode === 'held') firstHeld = Math.min(firstHeld, number);
    }
    for (const [key, { value, due, mode }] of this.queued) {
      const number = this.unsent.get(key) ?? 0;
      const held = mode === 'held' && due > now && number > lastAfterHeld;
      const waiting = mode === 'after-held' && firstHeld < number;
      if ((held || waiting) && !this.urgent) continue;
      this.queued.delete(key);
      // Puts and deletes are idempotent: a write that fails while a stream elects a new
      // leader is simply sent again, within a bound.
      if (value === DELETE) {
        this.written.delete(key);
        writes.push(retrying(() => removeKey(this.kv, key), RETRY_MS));
      } else {
        this.unsent.delete(key);
        this.written.add(key);
        const text = typeof value === 'string' ? value : value();
        writes.push(retrying(() => this.kv.put(key, text), RETRY_MS));
      }
    }
    this.urgent = false;
    const landed = Promise.all(writes).then(() => {});
    landed.catch(() => {});
    this.landed = landed;
    this.inflight = landed.catch(() => {});
    this.release();
    // Held-back puts not due yet go with a later group.
    if (this.queued.size > 0) this.schedule();
    return landed;
  }

  /** Wakes the waiters none of whose puts is still unsent: they wait for the landing only. */
  private release(): void {
    const oldest = this.unsent.values().next().value;
    let done = 0;
    while (
      done < this.waiters.length &&
      (oldest === undefined || oldest > this.waiters[done]!.last)
    )
      this.waiters[done++]!.settle();
    if (done > 0) this.waiters = this.waiters.slice(done);
  }

  /**
   * Resolves once every put made so far has landed or been cancelled by a delete (a message
   * acknowledged meanwhile need not be kept); rejects if the last group sent failed.
   */
  flushPuts(): Promise<void> {
    if (this.unsent.size === 0) return this.landed;
    return new Promise((resolve, reject) => {
      this.waiters.push({ last: this.puts, settle: () => this.landed.then(resolve, reject) });
    });
  }

  /**
   * Resolves once everything written so far has landed, held-back puts and deletes included
   * (closing); rejects if a write of the last group failed.
   */
  flush(): Promise<void> {
    if (this.queued.size === 0) return this.landed;
    this.urgent = true;
    this.schedule();
    return this.next!;
  }
}
