// The disk tier of a sink's buffer: a FIFO of records in an LMDB environment of its own
// (<dataDir>/rules-buffer/<sink id>), keyed by consecutive sequence numbers, so it survives a
// restart and the head is found again with one range read. Writes are asynchronous (LMDB
// batches them into one commit); until a write commits its record is served from `pending`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';

export class DiskQueue<T> {
  readonly #root: RootDatabase;
  readonly #db: Database<T, number>;
  readonly #pending = new Map<number, T>();
  readonly #writes = new Set<Promise<unknown>>();
  #head: number;
  #tail: number;

  private constructor(
    root: RootDatabase,
    /** A write LMDB refused after the fact (disk full): that record is gone. */
    private readonly onLost: (error: unknown) => void,
  ) {
    this.#root = root;
    this.#db = root.openDB<T, number>({ name: 'records' });
    const first = [...this.#db.getKeys({ limit: 1 })][0];
    const last = [...this.#db.getKeys({ limit: 1, reverse: true })][0];
    this.#head = first ?? 0;
    this.#tail = last === undefined ? 0 : last + 1;
  }

  /** Opens (or finds again, after a restart) the queue of sink `id` under `dataDir`. */
  static open<T>(dataDir: string, id: string, onLost: (error: unknown) => void): DiskQueue<T> {
    const path = join(dataDir, 'rules-buffer', encodeURIComponent(id));
    try {
      mkdirSync(path, { recursive: true });
      return new DiskQueue<T>(open(path, { maxDbs: 2, noSync: true }), onLost);
    } catch (error) {
      throw new Error(`cannot open the disk buffer ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get size(): number {
    return this.#tail - this.#head;
  }

  push(record: T): void {
    this.#write(this.#tail++, record);
  }

  /** Puts records back in front of the head, in their order (a closing sink keeps them). */
  unshift(records: readonly T[]): void {
    for (let i = records.length - 1; i >= 0; i--) this.#write(--this.#head, records[i]!);
  }

  /** Takes up to `count` records from the head. */
  shift(count: number): T[] {
    const out: T[] = [];
    while (out.length < count && this.#head < this.#tail) {
      const key = this.#head++;
      const record = this.#pending.has(key) ? this.#pending.get(key) : this.#db.get(key);
      if (record !== undefined) out.push(record);
      this.#track(this.#db.remove(key));
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
    await this.#root.close();
  }

  #write(key: number, record: T): void {
    this.#pending.set(key, record);
    const written = this.#db.put(key, record).then(
      () => this.#forget(key, record),
      (error: unknown) => {
        this.#forget(key, record);
        this.onLost(error);
      },
    );
    this.#track(written);
  }

  #forget(key: number, record: T): void {
    if (this.#pending.get(key) === record) this.#pending.delete(key);
  }

  #track(write: Promise<unknown>): void {
    this.#writes.add(write);
    write.then(
      () => this.#writes.delete(write),
      () => this.#writes.delete(write),
    );
  }
}
