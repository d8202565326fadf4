// The contract every SessionStore must pass (see contract.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistedSessions, SessionStore } from '../broker/ports.js';
import {
  ALL_BYTES,
  assertSameRecords,
  byClientId,
  fullSession,
  type MakeStore,
  message,
  outbound,
  plainSession,
  richMessage,
  type StoreHandle,
  withStore,
} from './contract-records.js';
import { describeBans } from './contract-bans.js';

/** Flushes, closes, reopens and loads: what a broker restart sees. */
async function restart(handle: StoreHandle<SessionStore>, store: SessionStore) {
  await store.flush();
  await store.close();
  const reopened = await handle.reopen();
  return { store: reopened, loaded: await reopened.load() };
}

function sorted(loaded: PersistedSessions): PersistedSessions {
  return { ...loaded, sessions: [...loaded.sessions].sort(byClientId) };
}

export function runSessionStoreContract(name: string, makeStore: MakeStore<SessionStore>): void {
  describe(`SessionStore contract: ${name}`, () => {
    describeSessions(makeStore);
    describeOutbound(makeStore);
    describeIncomingQos2(makeStore);
    describeDeleteSession(makeStore);
    describeLifecycle(makeStore);
    describeBans(makeStore);
  });
}

function describeSessions(makeStore: MakeStore<SessionStore>): void {
  it('a new store loads nothing', () =>
    withStore(makeStore, async ({ store }) => {
      await store.flush();
      const loaded = await store.load();
      assert.deepStrictEqual(loaded, {
        sessions: [],
        outbound: new Map(),
        incomingQos2: new Map(),
        bans: [],
      });
    }));

  it('saveSession round-trips every field, before and after a restart', () =>
    withStore(makeStore, async (handle) => {
      const sessions = [fullSession('full'), plainSession('plain')];
      for (const session of sessions) handle.store.saveSession(session);
      await handle.store.flush();
      assertSameRecords(sorted(await handle.store.load()).sessions, sessions);
      const { loaded } = await restart(handle, handle.store);
      assertSameRecords(sorted(loaded).sessions, sessions);
      const will = loaded.sessions.find((s) => s.clientId === 'full')?.delayedWill;
      assert.ok(will?.message.payload instanceof Uint8Array, 'will payload is a Uint8Array');
    }));

  it('saveSession replaces the earlier record of the same client', () =>
    withStore(makeStore, async (handle) => {
      handle.store.saveSession(fullSession('c'));
      handle.store.saveSession(plainSession('other'));
      handle.store.saveSession({ ...plainSession('c'), expiryInterval: 60 });
      const { loaded } = await restart(handle, handle.store);
      const expected = [{ ...plainSession('c'), expiryInterval: 60 }, plainSession('other')];
      assertSameRecords(sorted(loaded).sessions, expected);
    }));

  it('a save is a snapshot: changing the object afterwards changes nothing stored', () =>
    withStore(makeStore, async (handle) => {
      const session = fullSession('c');
      const record = outbound(1);
      handle.store.saveSession(session);
      handle.store.saveOutbound('c', record);
      session.subscriptions.push({ ...session.subscriptions[0]!, topicFilter: 'late' });
      session.expiryInterval = 1;
      record.state = 'sent';
      record.packetId = 9;
      const { loaded } = await restart(handle, handle.store);
      assertSameRecords(loaded.sessions, [fullSession('c')]);
      assertSameRecords(loaded.outbound.get('c'), [outbound(1)]);
    }));
}

function describeOutbound(makeStore: MakeStore<SessionStore>): void {
  it('outbound records load per client, ordered by seq', () =>
    withStore(makeStore, async (handle) => {
      const seqs = [3, 1, 2 ** 40, 256, 10, 255, 2, 0, 65_536, 2 ** 32, 2 ** 53 - 1];
      for (const seq of seqs) handle.store.saveOutbound('a', outbound(seq));
      handle.store.saveOutbound('b', outbound(7));
      const { loaded } = await restart(handle, handle.store);
      const expected = [...seqs].sort((x, y) => x - y).map((seq) => outbound(seq));
      assertSameRecords(loaded.outbound.get('a'), expected);
      assertSameRecords(loaded.outbound.get('b'), [outbound(7)]);
      assert.equal(loaded.outbound.size, 2);
    }));

  it('outbound records keep payload bytes, properties, expiry and delivery state', () =>
    withStore(makeStore, async (handle) => {
      const records = [
        outbound(1, { message: richMessage('rich') }),
        outbound(2, { message: message('empty', { payload: new Uint8Array(0), qos: 0 }) }),
        outbound(3, { message: message('big', { payload: bigPayload(300_000) }) }),
        outbound(4, { state: 'sent', packetId: 65535, subscriptionIdentifiers: [1, 268_435_455] }),
        outbound(5, { state: 'pubrel', packetId: 1 }),
        outbound(6, { message: message('buffer', { payload: Buffer.from(ALL_BYTES) }) }),
      ];
      for (const record of records) handle.store.saveOutbound('c', record);
      const { loaded } = await restart(handle, handle.store);
      assertSameRecords(loaded.outbound.get('c'), records);
      for (const record of loaded.outbound.get('c') ?? []) {
        assert.ok(record.message.payload instanceof Uint8Array, 'payloads are Uint8Arrays');
      }
    }));

  it('saveOutbound with a known seq replaces that record (queued → sent → pubrel)', () =>
    withStore(makeStore, async (handle) => {
      handle.store.saveOutbound('c', outbound(1));
      handle.store.saveOutbound('c', outbound(2));
      handle.store.saveOutbound('c', outbound(1, { state: 'sent', packetId: 5 }));
      await handle.store.flush();
      handle.store.saveOutbound('c', outbound(1, { state: 'pubrel', packetId: 5 }));
      const { loaded } = await restart(handle, handle.store);
      const expected = [outbound(1, { state: 'pubrel', packetId: 5 }), outbound(2)];
      assertSameRecords(loaded.outbound.get('c'), expected);
    }));

  it('deleteOutbound removes that record only; unknown seqs and clients are no-ops', () =>
    withStore(makeStore, async (handle) => {
      for (const seq of [1, 2, 3]) handle.store.saveOutbound('c', outbound(seq));
      handle.store.saveOutbound('d', outbound(2));
      handle.store.deleteOutbound('c', 2);
      handle.store.deleteOutbound('c', 99);
      handle.store.deleteOutbound('nobody', 1);
      const first = await restart(handle, handle.store);
      assertSameRecords(first.loaded.outbound.get('c'), [outbound(1), outbound(3)]);
      assertSameRecords(first.loaded.outbound.get('d'), [outbound(2)]);
      first.store.deleteOutbound('c', 1);
      first.store.deleteOutbound('c', 3);
      const second = await restart(handle, first.store);
      assert.equal(second.loaded.outbound.get('c')?.length ?? 0, 0, 'no records left for c');
      assertSameRecords(second.loaded.outbound.get('d'), [outbound(2)]);
    }));
}

function describeIncomingQos2(makeStore: MakeStore<SessionStore>): void {
  it('incoming QoS 2 packet ids are added once, deleted, and load in ascending order', () =>
    withStore(makeStore, async (handle) => {
      for (const id of [65535, 1, 300, 1, 7]) handle.store.saveIncomingQos2('c', id);
      handle.store.saveIncomingQos2('d', 1);
      handle.store.deleteIncomingQos2('c', 300);
      handle.store.deleteIncomingQos2('c', 2);
      handle.store.deleteIncomingQos2('nobody', 1);
      const first = await restart(handle, handle.store);
      assert.deepStrictEqual(first.loaded.incomingQos2.get('c'), [1, 7, 65535]);
      assert.deepStrictEqual(first.loaded.incomingQos2.get('d'), [1]);
      for (const id of [1, 7, 65535]) first.store.deleteIncomingQos2('c', id);
      const second = await restart(handle, first.store);
      assert.equal(second.loaded.incomingQos2.get('c')?.length ?? 0, 0, 'no ids left for c');
      assert.deepStrictEqual(second.loaded.incomingQos2.get('d'), [1]);
    }));
}

/** Session, outbound and incoming QoS 2 state for each client. */
function fillClients(store: SessionStore, clientIds: string[]): void {
  for (const clientId of clientIds) {
    store.saveSession(plainSession(clientId));
    store.saveOutbound(clientId, outbound(1));
    store.saveOutbound(clientId, outbound(2, { state: 'sent', packetId: 2 }));
    store.saveIncomingQos2(clientId, 10);
  }
}

function assertClients(loaded: PersistedSessions, clientIds: string[]): void {
  assert.deepStrictEqual(loaded.sessions.map((s) => s.clientId).sort(), [...clientIds].sort());
  assert.deepStrictEqual([...loaded.outbound.keys()].sort(), [...clientIds].sort());
  assert.deepStrictEqual([...loaded.incomingQos2.keys()].sort(), [...clientIds].sort());
  for (const clientId of clientIds) {
    assert.equal(loaded.outbound.get(clientId)?.length, 2, `outbound of ${clientId}`);
    assert.deepStrictEqual(loaded.incomingQos2.get(clientId), [10]);
  }
}

function describeDeleteSession(makeStore: MakeStore<SessionStore>): void {
  it('deleteSession removes everything of that client and nothing of the others', () =>
    withStore(makeStore, async (handle) => {
      fillClients(handle.store, ['a', 'ab', 'a/b', 'b', '']);
      handle.store.deleteSession('a');
      handle.store.deleteSession('never-seen');
      const { loaded } = await restart(handle, handle.store);
      assertClients(loaded, ['ab', 'a/b', 'b', '']);
    }));

  it('deleteSession removes what was stored before a restart, loaded or not', () =>
    withStore(makeStore, async (handle) => {
      fillClients(handle.store, ['a', 'b', 'c']);
      const first = await restart(handle, handle.store);
      first.store.deleteSession('a');
      await first.store.close();
      // This time no load() before the delete.
      const second = await handle.reopen();
      second.deleteSession('b');
      const third = await restart(handle, second);
      assertClients(third.loaded, ['c']);
    }));

  it('deleteSession removes writes of the same turn; later writes are kept', () =>
    withStore(makeStore, async (handle) => {
      const { store } = handle;
      fillClients(store, ['c']);
      store.saveOutbound('c', outbound(3));
      store.deleteSession('c');
      store.saveOutbound('c', outbound(4));
      store.saveIncomingQos2('c', 11);
      const { loaded } = await restart(handle, store);
      assert.deepStrictEqual(loaded.sessions, []);
      assertSameRecords(loaded.outbound.get('c'), [outbound(4)]);
      assert.deepStrictEqual(loaded.incomingQos2.get('c'), [11]);
    }));

  it('client ids of any length and script are kept apart', () =>
    withStore(makeStore, async (handle) => {
      const long = 'x'.repeat(4000);
      const clientIds = [`${long}1`, `${long}2`, '😀 ünïcødé 名前', 'x'.repeat(65535)];
      fillClients(handle.store, clientIds);
      handle.store.deleteSession(`${long}1`);
      const first = await restart(handle, handle.store);
      assertClients(first.loaded, clientIds.slice(1));
      first.store.deleteSession(`${long}2`);
      first.store.deleteOutbound('x'.repeat(65535), 1);
      first.store.deleteIncomingQos2('x'.repeat(65535), 10);
      const second = await restart(handle, first.store);
      assert.deepStrictEqual(second.loaded.outbound.get('x'.repeat(65535))?.length, 1);
      assert.equal(second.loaded.incomingQos2.get('x'.repeat(65535))?.length ?? 0, 0);
      assert.equal(second.loaded.sessions.length, 2);
    }));
}

function describeLifecycle(makeStore: MakeStore<SessionStore>): void {
  it('close() keeps writes that were never flushed', () =>
    withStore(makeStore, async (handle) => {
      fillClients(handle.store, ['c']);
      await handle.store.close();
      const reopened = await handle.reopen();
      assertClients(await reopened.load(), ['c']);
    }));

  it('a closed store refuses writes and loads', () =>
    withStore(makeStore, async ({ store }) => {
      store.saveSession(plainSession('c'));
      await store.close();
      assert.throws(() => store.saveSession(plainSession('d')), /closed/);
      assert.throws(() => store.saveOutbound('c', outbound(1)), /closed/);
      assert.throws(() => store.deleteSession('c'), /closed/);
      assert.throws(() => store.saveIncomingQos2('c', 1), /closed/);
      await assert.rejects(store.load(), /closed/);
    }));

  it('load() returns copies: changing them changes nothing stored', () =>
    withStore(makeStore, async (handle) => {
      fillClients(handle.store, ['c']);
      await handle.store.flush();
      const loaded = await handle.store.load();
      loaded.sessions[0]!.subscriptions.push(fullSession('c').subscriptions[0]!);
      loaded.outbound.get('c')![0]!.state = 'pubrel';
      loaded.incomingQos2.get('c')!.push(99);
      assertClients(await handle.store.load(), ['c']);
      assertSameRecords((await handle.store.load()).sessions, [plainSession('c')]);
    }));

  it('holds many sessions and messages across a restart', () =>
    withStore(makeStore, async (handle) => {
      const clients = Array.from({ length: 500 }, (_, i) => `client-${i}`);
      for (const clientId of clients) {
        handle.store.saveSession(fullSession(clientId));
        for (let seq = 0; seq < 20; seq++) handle.store.saveOutbound(clientId, outbound(seq));
      }
      const { loaded } = await restart(handle, handle.store);
      assert.equal(loaded.sessions.length, 500);
      assert.equal(loaded.outbound.size, 500);
      for (const records of loaded.outbound.values()) {
        assert.deepStrictEqual(
          records.map((r) => r.seq),
          Array.from({ length: 20 }, (_, i) => i),
        );
      }
    }));
}

function bigPayload(size: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  return payload;
}
