// Cluster faults, black-box: a Culex node killed with SIGKILL (its clients move to another
// node, the others keep routing), and a NATS server killed and restarted under the nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, inbox, propagated, real, sleep, until } from './harness.js';

describe('cluster faults', () => {
  let cluster: Cluster;
  let n = 0;
  const unique = (what: string) => `ft-${what}-${++n}`;

  before(async () => {
    cluster = await Cluster.start('ft', ['A', 'B', 'C']);
  });
  after(() => cluster?.close());

  it('a NATS server killed and restarted: messages from A still reach B and C', {
    timeout: 45_000,
  }, async () => {
    const subB = await cluster.connect('B', { clientId: unique('nats-sub-b') });
    const subC = await cluster.connect('C', { clientId: unique('nats-sub-c') });
    const gotB = inbox(subB);
    const gotC = inbox(subC);
    await subB.subscribeAsync('nk/#', { qos: 1 });
    await subC.subscribeAsync('nk/#', { qos: 1 });
    const pub = await cluster.connect('A', { clientId: unique('nats-pub') });
    await propagated(pub, 'nk/probe', gotB);
    await propagated(pub, 'nk/probe', gotC);
    // Kill the server node A publishes through, so A must move to another one.
    const victim = (await cluster.nats.serverOf('culex A')) ?? 0;
    await cluster.nats.kill(victim);

    const round = async (payload: string) => {
      await propagated(pub, 'nk/probe', gotB, 10_000);
      await propagated(pub, 'nk/probe', gotC, 10_000);
      await pub.publishAsync('nk/t', payload, { qos: 1 });
      await until(
        () => [gotB, gotC].every((g) => real(g).some((m) => m.payload.toString() === payload)),
        `'${payload}' on B and C`,
      );
    };
    await round('while down');
    // A new CONNECT needs the client bucket: two of three replicas are still up.
    const late = await cluster.connect('B', { clientId: unique('nats-late') });
    assert.equal(late.connected, true);

    await cluster.nats.restart(victim);
    await round('after restart');
    for (const g of [gotB, gotC]) {
      assert.deepEqual(
        real(g).map((m) => m.payload.toString()),
        ['while down', 'after restart'],
        'each message once',
      );
    }
  });

  it('a Culex node killed with SIGKILL: its clients move to another node; B and C keep routing', {
    timeout: 45_000,
  }, async () => {
    const watcher = await cluster.connect('C', { clientId: unique('kill-watch') });
    const gotWatcher = inbox(watcher);
    await watcher.subscribeAsync('kn/#', { qos: 1 });
    const subId = unique('kill-sub');
    const pubId = unique('kill-pub');
    const onA = await cluster.connect('A', { clientId: subId });
    await onA.subscribeAsync('kn/#', { qos: 1 });
    await cluster.connect('A', { clientId: pubId });

    await cluster.killNode('A');
    // B and C route between themselves.
    const fromB = await cluster.connect('B', { clientId: unique('kill-pub-b') });
    await propagated(fromB, 'kn/probe', gotWatcher, 10_000);
    await fromB.publishAsync('kn/b', 'from B', { qos: 1 });
    await until(
      () => real(gotWatcher).some((m) => m.payload.toString() === 'from B'),
      "'from B' on C",
    );

    // A's clients come back, same ids, on B and C; the dead node cannot hand over anything.
    const started = Date.now();
    const movedSub = await cluster.connect('B', { clientId: subId });
    const movedPub = await cluster.connect('C', { clientId: pubId });
    const reconnectMs = Date.now() - started;
    const got = inbox(movedSub);
    await movedSub.subscribeAsync('kn/#', { qos: 1 });
    await propagated(movedPub, 'kn/probe', got, 10_000);
    await movedPub.publishAsync('kn/moved', 'after the kill', { qos: 1 });
    await until(
      () => real(got).some((m) => m.payload.toString() === 'after the kill'),
      "'after the kill' on B",
    );
    await sleep(200);
    assert.deepEqual(
      real(got).map((m) => m.payload.toString()),
      ['after the kill'],
    );
    assert.ok(reconnectMs < 10_000, `both reconnected in ${reconnectMs} ms`);
  });
});
