// The write side shared by the session and retained stores of one LMDB environment.
//
// Group commit: writes are buffered here, in call order, and handed to lmdb-js as one group
// (which commits it as one transaction on its writer thread) when no earlier group is still
// being committed; flush() waits for the group holding every earlier write. A buffered put
// that is cancelled before its group starts never reaches LMDB: an in-flight message that
// the subscriber acknowledges while the previous group is still on its way to disk costs no
// write at all (store README: "group commit").
//
// Durability (docs: store.durability):
//  - sync: the environment is opened with LMDB's durable commits, so flush() resolves once
//    the transaction holding every earlier write is on disk (fsync'd). Nothing acknowledged
//    after a flush() is lost, even on power loss.
//  - periodic: commits skip fsync; flush() resolves once the writes are committed to the OS,
//    so they survive the broker process being killed (SIGKILL, crash). A timer forces them to
//    disk every flushIntervalMs; an OS crash or power loss can lose the writes of the last
//    flushIntervalMs plus one commit, and (LMDB's noSync caveat: unsynced pages reach the disk
//    in any order) may leave the file inconsistent. See README.md.
import type { Database, RootDatabase } from 'lmdb';
import type { Durability } from './lmdb-open.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 100;

/** env.sync(callback) runs mdb_env_sync(force) on a worker thread; not in lmdb's typings. */
interface Syncable {
  sync(callback: (error?: Error) => void): void;
}

const QUEUED = 0;
const SUBMITTED = 1;
const CANCELLED = 2;

/** What a store keeps of a put it may want to undo: see put() and cancel(). */
export interface WriteState {
  state: typeof QUEUED | typeof SUBMITTED | typeof CANCELLED;
  /** An earlier value of this key may be in LMDB: dropping this put does not delete it. */
  readonly overwrites: boolean;
}

interface Write extends WriteState {
  db: Database | undefined;
  key: Buffer | undefined;
  /** REMOVE for a remove. */
  value: unknown;
}

const REMOVE = Symbol('remove');

/** Stands for a key found in LMDB at start-up. */
export const ON_DISK: WriteState = Object.freeze({ state: SUBMITTED, overwrites: true });

export class LmdbWriter {
  /** The first failed commit; every later flush() rejects with it. */
  private failure: Error | undefined;
  private watched: Promise<unknown> | undefined;
  private dirty = false;
  private syncing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private queue: Write[] = [];
  private scheduled = false;
  /** The group being committed, and the flush that waits to submit the next one. */
  private committing: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    readonly dataDir: string,
    private readonly root: RootDatabase,
    readonly durability: Durability,
    flushIntervalMs = DEFAULT_FLUSH_INTERVAL_MS,
  ) {
    if (durability === 'periodic') {
      this.timer = setInterval(() => void this.syncToDisk(), flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Queues a put; `previous`: the last put of the same key, which this one supersedes. */
  put(db: Database, key: Buffer, value: unknown, previous?: WriteState): WriteState {
    let overwrites = previous !== undefined;
    if (previous !== undefined && previous.state === QUEUED) {
      previous.state = CANCELLED;
      overwrites = previous.overwrites;
    }
    const write: Write = { db, key, value, state: QUEUED, overwrites };
    this.enqueue(write);
    return write;
  }

  remove(db: Database, key: Buffer): void {
    this.enqueue({ db, key, value: REMOVE, state: QUEUED, overwrites: true });
  }

  /**
   * Drops a put that LMDB has not seen yet. True: no value of its key is in LMDB (nothing to
   * remove); false: the caller must remove the key.
   */
  cancel(write: WriteState): boolean {
    if (write.state !== QUEUED) return false;
    write.state = CANCELLED;
    return !write.overwrites;
  }

  /** lmdb-js would accept the write and then crash the process from its commit callback. */
  checkOpen(): void {
    if (this.closed) throw new Error(`culex: the store in ${this.dataDir} is closed`);
  }

  /** Resolves once every write queued so far is committed (and on disk, with sync). */
  flush(): Promise<void> {
    if (this.next !== undefined) return this.next;
    if (this.committing === undefined) return this.commitGroup();
    // Nothing queued since the group in flight started: it holds every write so far.
    if (this.queue.length === 0) return this.committing;
    const after = () => {
      this.next = undefined;
      return this.commitGroup();
    };
    this.next = this.committing.then(after, after);
    return this.next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
      if (this.durability === 'periodic') {
        await this.syncing; // it may predate the last writes: sync once more after it
        await this.syncToDisk();
      }
    } finally {
      await this.root.close();
    }
  }

  private enqueue(write: Write): void {
    this.checkOpen();
    this.queue.push(write);
    if (this.scheduled) return;
    // Writes nobody waits for (periodic durability, state changes) still go out this tick.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // close() flushes by itself; a failure is kept in `failure` for the next flush().
      if (this.closed) return;
      // periodic: acknowledgements never wait for a flush, so writes go to lmdb-js every
      // turn, not behind a group in flight: what a killed process can lose stays one turn's
      // writes (README). Failures are recorded by watch().
      if (this.durability === 'periodic') this.submit();
      else this.flush().catch(() => {});
    });
  }

  private commitGroup(): Promise<void> {
    this.submit();
    // The next group waits for this one's fsync, not just its commit: the longer window lets
    // more in-flight messages be acknowledged, and so dropped, before they are handed over.
    // lmdb-js's `flushed` is a thenable, not a Promise.
    const group: Promise<void> = Promise.resolve(this.root.flushed)
      .catch((error: unknown) => this.fail('committing to', error))
      .then(() => {
        if (this.committing === group) this.committing = undefined;
        if (this.failure) throw this.failure;
      });
    this.committing = group;
    return group;
  }

  /** Keeps the first failure; every later flush() rejects with it. */
  private fail(what: string, error: unknown): void {
    this.failure ??= new Error(`culex: ${what} the store in ${this.dataDir} failed`, {
      cause: error,
    });
  }

  /** Hands the queued writes to lmdb-js, which commits writes of one turn as one transaction. */
  private submit(): void {
    const queue = this.queue;
    this.queue = [];
    for (const write of queue) {
      if (write.state === QUEUED) {
        write.state = SUBMITTED;
        const db = write.db as Database;
        const key = write.key as Buffer;
        this.watch(write.value === REMOVE ? db.remove(key) : db.put(key, write.value));
      }
      // Stores keep their last put until the record is deleted: keep no bytes alive with it.
      write.db = write.key = write.value = undefined;
    }
  }

  /** Writes of one transaction share one promise: one handler per transaction is enough. */
  private watch(promise: Promise<unknown>): void {
    this.dirty = true;
    if (promise === this.watched) return;
    this.watched = promise;
    promise.then(undefined, (error: unknown) => this.fail('writing to', error));
  }

  /** Forces committed transactions to disk (periodic mode); one at a time. */
  private syncToDisk(): Promise<void> {
    if (this.syncing) return this.syncing;
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    this.syncing = (async () => {
      try {
        await this.root.committed;
        await new Promise<void>((resolve, reject) =>
          (this.root as unknown as Syncable).sync((error) => (error ? reject(error) : resolve())),
        );
      } catch (error) {
        this.fail('syncing', error);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
