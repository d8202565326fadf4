// A message a node never confirmed is redelivered to the sessions that node held, wherever
// they are now (src/cluster/durable-acks.ts) — also when one is on its way between nodes at
// that moment, in no node's memory: redeliveries are kept in JetStream and in each node's
// memory for a while, and a session that arrives later catches up (src/broker/redelivered.ts)
// [MQTT-4.3.2-4] [MQTT-4.4.0-1]. Found by bench:chaos (seed 16): three acknowledged messages
// lost. Nodes here have a long node timeout: no node is reaped unless a CONNECT finds it dead,
// so the order of events is the test's, not the heartbeats'.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, connack, inbox, propagated, real, sleep, until } from './harness.js';

describe('cluster redelivery to a session in transit', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start('rd', ['A', 'B', 'C'], {
      nodes: { store: 'lmdb', env: { CULEX_CLUSTER_NODE_TIMEOUT_MS: '30000' } },
    });
  });
  after(async () => {
    await cluster?.close();
  });

  /** A persistent subscriber `rd-<name>-sub` on C, known on A, where its publisher is. */
  async function subscribedOnC(name: string, qos: 1 | 2) {
    const topic = `rd/${name}`;
    const persistent = {
      clientId: `rd-${name}-sub`,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const onC = await cluster.connect('C', persistent);
    const gotC = inbox(onC);
    await onC.subscribeAsync(topic, { qos });
    const pub = await cluster.connect('A', { clientId: `rd-${name}-pub` });
    await propagated(pub, topic, gotC);
    await sleep(300); // C's durable interest reaches A (a KV bucket)
    return { topic, persistent, pub };
  }

  it('C killed, a QoS 1 message published on A for its subscriber, the session taken to B and B killed before A redelivers for C: the subscriber resumes on A and gets the message [MQTT-4.3.2-4]', {
    timeout: 60_000,
  }, async () => {
    const { topic, persistent, pub } = await subscribedOnC('transit', 1);

    await cluster.killNode('C');
    // A waits for C's confirmation, which never comes: after ackTimeoutMs (5 s) it redelivers.
    const acked = pub.publishAsync(topic, 'unconfirmed', { qos: 1 }).then(() => Date.now());
    const sentAt = Date.now();
    // The session goes on to B, from C's stored copy (without the message: C never had it).
    const onB = cluster.connectRaw('B', persistent);
    const gotB = inbox(onB);
    assert.equal((await connack(onB)).sessionPresent, true, 'the session went on to B');
    await sleep(500); // B stores its copy of the session (and removes C's)
    await cluster.killNode('B');
    assert.ok(Date.now() - sentAt < 4_000, 'B died before the redelivery');
    const ackedAt = await acked;
    assert.ok(ackedAt - sentAt >= 4_000, 'the PUBACK waited for the redelivery');

    // Nobody held the session when the redelivery went out: it is in B's store.
    const onA = cluster.connectRaw('A', persistent);
    const gotA = inbox(onA);
    assert.equal((await connack(onA)).sessionPresent, true, 'the session went on to A');
    const all = () => [...real(gotB), ...real(gotA)].map((m) => m.payload.toString());
    await until(() => all().includes('unconfirmed'), "'unconfirmed' on A", 10_000).catch(() => {});
    assert.deepEqual(all(), ['unconfirmed'], 'acknowledged, so delivered');
    onA.end(true);
    await cluster.startNode('B');
    await cluster.startNode('C');
  });

  it('a QoS 2 message redelivered to a session that completed it, then moved on, is not delivered again where it arrives [MQTT-4.3.3-10]', {
    timeout: 60_000,
  }, async () => {
    const { topic, persistent, pub } = await subscribedOnC('once', 2);

    await cluster.killNode('C');
    const acked = pub.publishAsync(topic, 'once', { qos: 2 });
    const onB = cluster.connectRaw('B', persistent);
    const gotB = inbox(onB);
    assert.equal((await connack(onB)).sessionPresent, true, 'the session went on to B');
    // A redelivers for C after its acknowledgement timeout; the session, on B, gets it.
    await acked;
    await until(() => real(gotB).length > 0, "'once' on B", 10_000);
    await sleep(500); // B stores the completion
    await cluster.killNode('B');
    await cluster.startNode('C');

    // On A, which heard the redelivery too, the session catches up on nothing.
    const onA = cluster.connectRaw('A', persistent);
    const gotA = inbox(onA);
    assert.equal((await connack(onA)).sessionPresent, true, 'the session went on to A');
    await sleep(2_000);
    const all = [...real(gotB), ...real(gotA)].map((m) => m.payload.toString());
    assert.deepEqual(all, ['once'], 'once, not twice');
    await cluster.startNode('B');
  });
});
