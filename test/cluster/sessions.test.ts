// Cluster sessions, black-box: one connection per client id in the whole cluster (takeover
// across nodes, simultaneous CONNECTs), a persistent session moving to another node with its
// queued messages, unique node names, and retained messages outliving every Culex node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Cluster,
  collect,
  inbox,
  nextDisconnect,
  propagated,
  real,
  sleep,
  until,
  connack,
} from './harness.js';

describe('cluster sessions', () => {
  let cluster: Cluster;
  let n = 0;
  const unique = (what: string) => `ss-${what}-${++n}`;

  before(async () => {
    cluster = await Cluster.start('ss', ['A', 'B', 'C']);
  });
  after(() => cluster?.close());

  it('takeover across nodes: the 5.0 connection on A gets DISCONNECT 0x8E when the id connects on B [MQTT-3.1.4-3]', {
    timeout: 15_000,
  }, async () => {
    const clientId = unique('t1');
    const first = await cluster.connect('A', { clientId });
    const disconnected = nextDisconnect(first);
    const second = await cluster.connect('B', { clientId });
    const packet = await Promise.race([disconnected, sleep(5_000).then(() => 'nothing' as const)]);
    assert.notEqual(packet, 'nothing', 'the connection on A ended');
    assert.notEqual(packet, 'closed', 'a DISCONNECT came before the close');
    assert.equal(typeof packet === 'object' && packet.reasonCode, 0x8e);
    await sleep(300);
    assert.equal(second.connected, true, 'the new connection on B stays');
  });

  it('takeover across nodes: a 3.1.1 connection on A is closed', { timeout: 15_000 }, async () => {
    const clientId = unique('t311');
    const first = await cluster.connect('A', { clientId, protocolVersion: 4 });
    const closed = new Promise<void>((r) => first.once('close', () => r()));
    const second = await cluster.connect('B', { clientId, protocolVersion: 4 });
    await Promise.race([
      closed,
      sleep(5_000).then(() => assert.fail('the 3.1.1 connection on A was not closed')),
    ]);
    await sleep(300);
    assert.equal(second.connected, true, 'the new connection on B stays');
  });

  it('simultaneous CONNECTs of one id on A, B and C: exactly one connection remains [MQTT-3.1.4-3]', {
    timeout: 60_000,
  }, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const clientId = unique('race');
      const clients = ['A', 'B', 'C'].map((node) =>
        cluster.connectRaw(node, { clientId, clean: true }),
      );
      const settled = clients.map((c) =>
        Promise.race([
          new Promise<void>((r) => c.once('connect', () => r())),
          new Promise<void>((r) => c.once('close', () => r())),
          sleep(5_000),
        ]),
      );
      await Promise.all(settled);
      // Takeover across nodes is asynchronous (the later claimer asks the owner it replaced to
      // surrender): wait, bounded, until one is left, then check it stays so.
      const alive = () => clients.filter((c) => c.connected).length;
      const deadline = Date.now() + 8_000;
      while (alive() > 1 && Date.now() < deadline) await sleep(100);
      await sleep(500);
      const connected = clients.map((c) => c.connected);
      outcomes.push(connected.map((up) => (up ? '1' : '0')).join(''));
      for (const c of clients) c.end(true);
    }
    assert.deepEqual(
      outcomes.map((o) => o.replaceAll('0', '').length),
      [1, 1, 1, 1, 1],
      `connections left per round (A B C): ${outcomes.join(' ')}`,
    );
  });

  it('a persistent session moves from A to B with its queued QoS 1 and QoS 2 messages [MQTT-3.1.2-5] [MQTT-3.2.2-3] [MQTT-4.6.0-6]', {
    timeout: 30_000,
  }, async () => {
    const clientId = unique('m1');
    const persistent = { clientId, clean: false, properties: { sessionExpiryInterval: 300 } };
    const onA = await cluster.connect('A', persistent);
    const probeOnA = inbox(onA);
    await onA.subscribeAsync({ 'mv/q1': { qos: 1 }, 'mv/q2': { qos: 2 } });
    const pub = await cluster.connect('C', { clientId: unique('mv-pub') });
    await propagated(pub, 'mv/q1', probeOnA);
    await propagated(pub, 'mv/q2', probeOnA);
    await sleep(100);
    await onA.endAsync();
    for (let i = 0; i < 10; i++) {
      await pub.publishAsync('mv/q1', `q1-${i}`, { qos: 1 });
      await pub.publishAsync('mv/q2', `q2-${i}`, { qos: 2 });
    }
    await sleep(300); // queued on A by now

    const onB = cluster.connectRaw('B', persistent);
    const got = inbox(onB);
    const ack = await connack(onB);
    assert.equal(ack.sessionPresent, true, 'CONNACK Session Present 1 on B');
    await collect(got, 21, 5_000);
    await sleep(300); // duplicates, if any
    const payloads = (topic: string) =>
      real(got)
        .filter((m) => m.topic === topic)
        .map((m) => m.payload.toString());
    const range = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    assert.deepEqual(payloads('mv/q1'), range('q1'), 'QoS 1: all, in order, once');
    assert.deepEqual(payloads('mv/q2'), range('q2'), 'QoS 2: all, in order, once');

    // The subscription now lives on B: messages published on A reach it.
    const fromA = await cluster.connect('A', { clientId: unique('mv-pub-a') });
    await propagated(fromA, 'mv/q1', got);
    await fromA.publishAsync('mv/q2', 'new from A', { qos: 2 });
    await until(() => payloads('mv/q2').includes('new from A'), 'the new message on B');

    // Clean Start on C: a new session, nothing old.
    onB.end(true);
    await sleep(200);
    await fromA.publishAsync('mv/q1', 'queued for the old session', { qos: 1 });
    await sleep(200);
    const onC = cluster.connectRaw('C', { clientId, clean: true });
    const gotC = inbox(onC);
    const cleanAck = await connack(onC);
    assert.equal(cleanAck.sessionPresent, false, 'Session Present 0 [MQTT-3.2.2-2]');
    await sleep(500);
    assert.deepEqual(
      gotC.map((m) => m.payload.toString()),
      [],
      'no old messages [MQTT-3.1.2-4]',
    );
  });

  it("a node name in use by a running node is refused (exit 1); a SIGKILLed node's name is free again", {
    timeout: 40_000,
  }, async () => {
    const taken = await cluster.tryStartNode('A');
    if (taken.node !== undefined) await cluster.stopNode('A').catch(() => {});
    assert.equal(taken.node, undefined, 'a second node A must not start');
    assert.equal(taken.exitCode, 1);
    assert.match(
      taken.output,
      /culex: node name 'A' is in use by a running node \(CULEX_E_CLUSTER_NODE_NAME_TAKEN\)/,
    );
    await cluster.startNode('D');
    await cluster.killNode('D');
    const again = await cluster.tryStartNode('D');
    assert.ok(again.node !== undefined, `D starts again after SIGKILL: ${again.output}`);
    await cluster.stopNode('D');
  });

  it('retained messages survive every Culex node restarting on the same NATS cluster', {
    timeout: 60_000,
  }, async () => {
    const pub = await cluster.connect('A', { clientId: unique('keep-pub') });
    await pub.publishAsync('keep/me', 'kept', { qos: 1, retain: true });
    // Seen on C: it is in the bucket.
    const probe = await cluster.connect('C', { clientId: unique('keep-probe') });
    const probeGot = inbox(probe);
    await probe.subscribeAsync('keep/me', { qos: 1 });
    await until(() => probeGot.length > 0, 'the retained message on C');
    for (const name of ['A', 'B', 'C']) await cluster.stopNode(name);
    for (const name of ['A', 'B', 'C']) await cluster.startNode(name);
    for (const name of ['A', 'B', 'C']) {
      const c = await cluster.connect(name, { clientId: unique('keep-sub') });
      const got = inbox(c);
      await c.subscribeAsync('keep/#', { qos: 1 });
      await collect(got, 1, 2_000);
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.toString(), m.packet.retain]),
        [['keep/me', 'kept', true]],
        `the retained message on the new ${name}`,
      );
    }
  });
});
