// The embedded durable store: one LMDB environment in the data directory with the
// sub-databases meta, sessions, outbound, incomingQos2 and retained. LMDB updates its B-tree
// in place and reuses the pages of deleted records, so the files and the start-up time follow
// the live state, not the history of writes. See lmdb-writer.ts for what each durability
// setting promises.
import { resolve } from 'node:path';
import type { RetainedStore, SessionStore } from '../broker/ports.js';
import { DataDirectoryError, openLmdbDatabases } from './lmdb-open.js';
import type { Durability, LmdbDatabases } from './lmdb-open.js';
import { LmdbRetainedStore } from './lmdb-retained.js';
import { LmdbSessionStore } from './lmdb-sessions.js';
import { LmdbWriter } from './lmdb-writer.js';
import { lockDataDirectory } from './data-lock.js';

export { DataDirectoryError } from './lmdb-open.js';
export type { Durability } from './lmdb-open.js';
export { DEFAULT_FLUSH_INTERVAL_MS } from './lmdb-writer.js';

export interface LmdbStoreOptions {
  dataDir: string;
  durability: Durability;
  /** periodic only: how often committed writes are forced to disk; default 100 ms. */
  flushIntervalMs?: number;
}

export interface LmdbStores {
  sessions: SessionStore;
  retained: RetainedStore;
  /** Flushes and closes both stores. */
  close(): Promise<void>;
}

/** Data directories open in this process. */
const openDirectories = new Set<string>();

export async function openLmdbStores(options: LmdbStoreOptions): Promise<LmdbStores> {
  const { dataDir, durability, flushIntervalMs } = options;
  checkOptions(options);
  const directory = resolve(dataDir);
  if (openDirectories.has(directory)) {
    // lmdb-js would hand back the environment already open, and closing one would close both.
    throw new DataDirectoryError(dataDir, 'it is already open in this process');
  }
  let databases: LmdbDatabases;
  const unlock = lockDataDirectory(dataDir);
  openDirectories.add(directory);
  const release = () => {
    openDirectories.delete(directory);
    unlock();
  };
  try {
    databases = openLmdbDatabases(dataDir, durability);
  } catch (error) {
    release();
    throw error;
  }
  const writer = new LmdbWriter(dataDir, databases.root, durability, flushIntervalMs);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= writer.close().finally(release);
    return closing;
  };
  // The environment closes when both stores are closed, or on close().
  let users = 2;
  const closeOne = () => (--users === 0 ? close() : writer.flush());
  return {
    sessions: new LmdbSessionStore(databases, writer, once(closeOne)),
    retained: new LmdbRetainedStore(databases, writer, once(closeOne)),
    close,
  };
}

function checkOptions({ durability, flushIntervalMs }: LmdbStoreOptions): void {
  if (durability !== 'sync' && durability !== 'periodic') {
    throw new TypeError(
      `culex store: durability must be 'sync' or 'periodic', not '${durability}'`,
    );
  }
  if (flushIntervalMs !== undefined && !(flushIntervalMs > 0 && flushIntervalMs < 2 ** 31)) {
    throw new RangeError(`culex store: flushIntervalMs must be a positive number of ms`);
  }
}

function once(release: () => Promise<void>): () => Promise<void> {
  let released: Promise<void> | undefined;
  return () => (released ??= release());
}
