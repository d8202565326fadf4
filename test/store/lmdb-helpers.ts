// Temp data directories and contract factories for the LMDB store tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RetainedStore, SessionStore } from '../../src/broker/ports.js';
import type { MakeStore } from '../../src/store/contract.js';
import { openLmdbStores } from '../../src/store/lmdb.js';
import type { Durability, LmdbStores } from '../../src/store/lmdb.js';

export async function tempDir(prefix = 'culex-store-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * A contract factory for one half of the LMDB stores. The other half is closed at once, so
 * the environment closes when the suite closes the half under test.
 */
export function lmdbFactory<S extends SessionStore | RetainedStore>(
  durability: Durability,
  pick: (stores: LmdbStores) => { store: S; other: SessionStore | RetainedStore },
): MakeStore<S> {
  return async () => {
    const dataDir = await tempDir();
    let stores: LmdbStores | undefined;
    const open = async () => {
      stores = await openLmdbStores({ dataDir, durability, flushIntervalMs: 20 });
      const { store, other } = pick(stores);
      await other.close();
      return store;
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        await stores?.close();
        await removeDir(dataDir);
      },
    };
  };
}

export const sessionsOf = (stores: LmdbStores) => ({
  store: stores.sessions,
  other: stores.retained,
});
export const retainedOf = (stores: LmdbStores) => ({
  store: stores.retained,
  other: stores.sessions,
});
