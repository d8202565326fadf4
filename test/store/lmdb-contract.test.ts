import { runRetainedStoreContract, runSessionStoreContract } from '../../src/store/contract.js';
import { lmdbFactory, retainedOf, sessionsOf } from './lmdb-helpers.js';

for (const durability of ['sync', 'periodic'] as const) {
  runSessionStoreContract(`lmdb (${durability})`, lmdbFactory(durability, sessionsOf));
  runRetainedStoreContract(`lmdb (${durability})`, lmdbFactory(durability, retainedOf));
}
