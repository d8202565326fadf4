// The contract suites every store must pass, for node:test: run them from a test file with a
// factory that makes a store over fresh data and can reopen that data (see StoreHandle).
// Modelled on aedes-persistence's abstract.js: one suite, every adapter.
export { runRetainedStoreContract } from './contract-retained.js';
export { runSessionStoreContract } from './contract-sessions.js';
export type { MakeStore, StoreHandle } from './contract-records.js';
