import { runRetainedStoreContract, runSessionStoreContract } from '../../src/store/contract.js';
import { MemoryRetainedStore, MemorySessionStore } from '../../src/store/memory.js';

runSessionStoreContract('memory', async () => {
  let store = new MemorySessionStore();
  return {
    store,
    reopen: async () => (store = new MemorySessionStore(store.data)),
    cleanup: () => store.close(),
  };
});

runRetainedStoreContract('memory', async () => {
  let store = new MemoryRetainedStore();
  return {
    store,
    reopen: async () => (store = new MemoryRetainedStore(store.data)),
    cleanup: () => store.close(),
  };
});
