// The contract every RetainedStore must pass (see contract.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageRecord, RetainedStore } from '../broker/ports.js';
import {
  ALL_BYTES,
  assertSameRecords,
  byTopic,
  type MakeStore,
  message,
  richMessage,
  type StoreHandle,
  withStore,
} from './contract-records.js';

/** Flushes, closes, reopens and loads (sorted by topic): what a broker restart sees. */
async function restart(handle: StoreHandle<RetainedStore>, store: RetainedStore) {
  await store.flush();
  await store.close();
  const reopened = await handle.reopen();
  return { store: reopened, loaded: (await reopened.load()).sort(byTopic) };
}

export function runRetainedStoreContract(name: string, makeStore: MakeStore<RetainedStore>): void {
  describe(`RetainedStore contract: ${name}`, () => {
    it('a new store loads nothing', () =>
      withStore(makeStore, async ({ store }) => {
        await store.flush();
        assert.deepStrictEqual(await store.load(), []);
      }));

    it('messages round-trip payload bytes, properties and expiry, before and after a restart', () =>
      withStore(makeStore, async (handle) => {
        const messages = [
          richMessage('rich'),
          message('buffer', { payload: Buffer.from(ALL_BYTES), qos: 0, retain: true }),
          message('empty', { payload: new Uint8Array(0), expiresAt: 0 }),
        ].sort(byTopic);
        for (const m of messages) handle.store.save(m);
        await handle.store.flush();
        assertSameRecords((await handle.store.load()).sort(byTopic), messages);
        const { loaded } = await restart(handle, handle.store);
        assertSameRecords(loaded, messages);
        for (const m of loaded) assert.ok(m.payload instanceof Uint8Array, 'a Uint8Array payload');
      }));

    it('save replaces the message of the same topic', () =>
      withStore(makeStore, async (handle) => {
        handle.store.save(richMessage('t'));
        handle.store.save(message('u'));
        handle.store.save(message('t', { payload: Buffer.from('second') }));
        const { loaded } = await restart(handle, handle.store);
        assertSameRecords(loaded, [message('t', { payload: Buffer.from('second') }), message('u')]);
      }));

    it('delete removes that topic only; unknown topics are no-ops', () =>
      withStore(makeStore, async (handle) => {
        const long = 'l/'.repeat(3000);
        const topics = ['a', 'a/b', 'ab', 'a/', '/a', `${long}1`, `${long}2`, 'ü/😀'];
        for (const topic of topics) handle.store.save(message(topic));
        handle.store.delete('a');
        handle.store.delete(`${long}1`);
        handle.store.delete('never');
        const first = await restart(handle, handle.store);
        const left = topics.filter((t) => t !== 'a' && t !== `${long}1`);
        assertSameRecords(first.loaded, left.map((t) => message(t)).sort(byTopic));
        first.store.delete(`${long}2`);
        const second = await restart(handle, first.store);
        assert.equal(second.loaded.length, left.length - 1);
      }));

    it('writes of one turn apply in call order', () =>
      withStore(makeStore, async (handle) => {
        handle.store.save(message('kept'));
        handle.store.delete('kept');
        handle.store.save(message('kept', { qos: 2 }));
        handle.store.save(message('gone'));
        handle.store.delete('gone');
        const { loaded } = await restart(handle, handle.store);
        assertSameRecords(loaded, [message('kept', { qos: 2 })]);
      }));

    it('close() keeps writes that were never flushed', () =>
      withStore(makeStore, async (handle) => {
        handle.store.save(message('t'));
        await handle.store.close();
        const reopened = await handle.reopen();
        assertSameRecords(await reopened.load(), [message('t')]);
      }));

    it('a closed store refuses writes and loads', () =>
      withStore(makeStore, async ({ store }) => {
        store.save(message('t'));
        await store.close();
        assert.throws(() => store.save(message('u')), /closed/);
        assert.throws(() => store.delete('t'), /closed/);
        await assert.rejects(store.load(), /closed/);
      }));

    it('holds thousands of messages across a restart', () =>
      withStore(makeStore, async (handle) => {
        const messages: MessageRecord[] = [];
        for (let i = 0; i < 5000; i++) messages.push(message(`bulk/${i}`));
        for (const m of messages) handle.store.save(m);
        const { loaded } = await restart(handle, handle.store);
        assertSameRecords(loaded, messages.sort(byTopic));
      }));
  });
}
