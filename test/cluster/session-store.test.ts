// The cluster's session store (src/cluster/session-store.ts) passes the contract every
// SessionStore passes, against a real nats-server with JetStream; and a session kept by one
// node can be taken by another, whole, once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listKeys } from '../../src/cluster/kv-keys.js';
import { KvSessionStore } from '../../src/cluster/session-store.js';
import { runSessionStoreContract } from '../../src/store/contract.js';
import { fullSession, outbound } from '../../src/store/contract-records.js';
import { kvBuckets } from './nats.js';

/** One standalone nats-server with JetStream (the store needs no cluster to be tested), and a
 * fresh bucket per store: the contract expects every new store to start empty. */
const newBucket = kvBuckets('sessions');

runSessionStoreContract('cluster KV', async () => {
  const kv = await newBucket();
  let store = new KvSessionStore(kv, 'n1');
  return {
    store,
    reopen: async () => {
      store = new KvSessionStore(kv, 'n1');
      return store;
    },
    cleanup: async () => {
      await store.close();
      await kv.destroy();
    },
  };
});

describe('cluster KV session store: a dead node\u2019s session', () => {
  it('is taken whole by another node, kept until released, and then the dead node keeps nothing of it', async () => {
    const kv = await newBucket();
    const dead = new KvSessionStore(kv, 'dead');
    dead.saveSession(fullSession('m1'));
    dead.saveOutbound('m1', outbound(1));
    dead.saveOutbound('m1', { ...outbound(2), packetId: 7, state: 'pubrel' });
    dead.saveIncomingQos2('m1', 42);
    dead.saveSession(fullSession('other'));
    await dead.flush();
    const survivor = new KvSessionStore(kv, 'n2');
    const moved = await survivor.takeFrom('dead', 'm1');
    assert.ok(moved);
    assert.equal(moved.record.clientId, 'm1');
    assert.deepEqual(
      moved.outbound.map((o) => [o.seq, o.packetId, o.state]),
      [
        [1, outbound(1).packetId, outbound(1).state],
        [2, 7, 'pubrel'],
      ],
    );
    assert.deepEqual(moved.incomingQos2, [42]);
    // Until the survivor has stored its own copy, the dead node's stays.
    const again = await survivor.takeFrom('dead', 'm1');
    assert.equal(again?.record.clientId, 'm1', 'kept until released');
    await moved.release!();
    assert.equal(await survivor.takeFrom('dead', 'm1'), undefined, 'gone once released');
    const left = await new KvSessionStore(kv, 'dead').load();
    assert.deepEqual(
      left.sessions.map((s) => s.clientId),
      ['other'],
    );
    assert.equal(left.outbound.size, 0);
    await kv.destroy();
  });

  it('keeps nothing of a message once it is acknowledged, nor of a session taken away: the bucket does not grow with every message', async () => {
    const kv = await newBucket();
    const store = new KvSessionStore(kv, 'n1');
    store.saveSession(fullSession('m1'));
    for (let seq = 1; seq <= 20; seq++) store.saveOutbound('m1', outbound(seq));
    await store.close(); // every record written
    const reopened = new KvSessionStore(kv, 'n1');
    await reopened.load();
    for (let seq = 1; seq <= 20; seq++) reopened.deleteOutbound('m1', seq);
    await reopened.close();
    const moved = await new KvSessionStore(kv, 'n2').takeFrom('n1', 'm1');
    await moved!.release!();
    const keys = await listKeys(kv, '>');
    assert.deepEqual(keys, [], 'no key, not even a delete marker');
    await kv.destroy();
  });

  it('keeps a completed QoS 2 message as a marker a while, for the node that takes the session [MQTT-4.3.3-10]', async () => {
    const kv = await newBucket();
    const dead = new KvSessionStore(kv, 'dead', 1500);
    dead.saveSession(fullSession('m1'));
    dead.saveOutbound('m1', { ...outbound(3), packetId: 9, state: 'pubrel' });
    dead.deleteOutbound('m1', 3, 'Q9:digest');
    dead.saveOutbound('m1', outbound(4));
    dead.deleteOutbound('m1', 4);
    await dead.flush();
    const restarted = await new KvSessionStore(kv, 'dead').load();
    assert.equal(restarted.outbound.size, 0, 'a marker is no message to deliver');
    assert.deepEqual(restarted.completed?.get('m1'), [{ seq: 3, id: 'Q9:digest' }]);
    const survivor = new KvSessionStore(kv, 'n2');
    const moved = await survivor.takeFrom('dead', 'm1');
    assert.deepEqual(moved?.completed, ['Q9:digest']);
    assert.deepEqual(moved?.outbound, []);
    // Past its time the marker is removed.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    await dead.flush();
    assert.deepEqual((await survivor.takeFrom('dead', 'm1'))?.completed, []);
    await dead.close();
    await kv.destroy();
  });
});
