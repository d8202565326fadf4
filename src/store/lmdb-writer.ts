// The write side shared by the session and retained stores of one LMDB environment. Puts and
// removes are queued with lmdb-js, which commits everything queued in one event-loop turn as
// one transaction on its writer thread, in call order; flush() waits for those commits.
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

export class LmdbWriter {
  /** The first failed commit; every later flush() rejects with it. */
  private failure: Error | undefined;
  private watched: Promise<unknown> | undefined;
  private dirty = false;
  private syncing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

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

  put(db: Database, key: Buffer, value: unknown): void {
    this.checkOpen();
    this.watch(db.put(key, value));
  }

  remove(db: Database, key: Buffer): void {
    this.checkOpen();
    this.watch(db.remove(key));
  }

  /** lmdb-js would accept the write and then crash the process from its commit callback. */
  checkOpen(): void {
    if (this.closed) throw new Error(`culex: the store in ${this.dataDir} is closed`);
  }

  async flush(): Promise<void> {
    await this.root.flushed;
    if (this.failure) throw this.failure;
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

  /** Writes of one transaction share one promise: one handler per transaction is enough. */
  private watch(promise: Promise<unknown>): void {
    this.dirty = true;
    if (promise === this.watched) return;
    this.watched = promise;
    promise.then(undefined, (error: unknown) => {
      this.failure ??= new Error(`culex: writing to the store in ${this.dataDir} failed`, {
        cause: error,
      });
    });
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
        this.failure ??= new Error(`culex: syncing the store in ${this.dataDir} failed`, {
          cause: error,
        });
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
