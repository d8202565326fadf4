// This broker as a cluster node (src/broker/cluster-node.ts), over a bus that carries nothing
// (the NATS bus is tested in test/cluster/ against real servers): a session that arrives
// catches up on the redeliveries it missed on the way, never on what it has, nor on a
// message's own copy that comes after its redelivery [MQTT-4.3.2-4] [MQTT-4.3.3-10]; and the
// node reaping a lost one replaces a stale copy of a session (restored at a restart) with the
// lost node's, but never that of a client connecting or connected here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerCore } from '../../src/broker/core.js';
import { silentLogger } from '../../src/broker/hooks.js';
import { defaultBrokerOptions } from '../../src/broker/options.js';
import type { ClusterBus, ClusterMessage, TransferredSession } from '../../src/broker/ports.js';
import { MemoryRetainedStore, MemorySessionStore } from '../../src/store/memory.js';

/** A bus to nowhere: this node alone, as if the others were silent. */
const quietBus = {
  nodeName: 'n3',
  cutoffSeconds: 30,
  forward: () => false,
  flush: async () => {},
  interest: () => {},
  sharedInterest: () => {},
  release: () => {},
  keepWill: async () => {},
  dropWill: () => {},
  nodes: () => [],
} as unknown as ClusterBus;

function node(): BrokerCore {
  return new BrokerCore(
    { ...defaultBrokerOptions, nodeName: 'n3' },
    {
      sessionStore: new MemorySessionStore(),
      retainedStore: new MemoryRetainedStore(),
      log: silentLogger,
      hooks: {},
      cluster: quietBus,
    },
  );
}

const message = (id: string, qos: 1 | 2): ClusterMessage => ({
  id,
  topic: 'sensors/a/temp',
  payload: Buffer.from(id),
  qos,
  retain: false,
  properties: {},
});

/** A session subscribed to sensors/+/temp, held by `heldBy` before. */
function moved(clientId: string, heldBy: string[], completed: string[] = []): TransferredSession {
  return {
    record: {
      clientId,
      protocolVersion: 5,
      expiryInterval: 300,
      subscriptions: [
        {
          topicFilter: 'sensors/+/temp',
          qos: 2,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        },
      ],
    },
    outbound: [],
    incomingQos2: [],
    completed,
    heldBy,
  };
}

const queued = (core: BrokerCore, clientId: string) =>
  [...core.sessions.get(clientId)!.pending()].map((entry) => entry.message.id);

describe('a cluster node adopting a session', () => {
  it('catches the session up on redeliveries for the nodes that held it, which went out before it arrived', () => {
    const core = node();
    core.cluster!.redeliver('n1', [message('m1', 1), message('m2', 2)], Date.now());
    core.cluster!.redeliver('n4', [message('m3', 1)], Date.now());
    core.cluster!.adopt(moved('s1', ['n1']), 'n2');
    assert.deepEqual(queued(core, 's1'), ['m1', 'm2'], 'those for n1, not for n4');
  });

  it('not with a QoS 2 message it completed on the way [MQTT-4.3.3-10]', () => {
    const core = node();
    core.cluster!.redeliver('n1', [message('m1', 2), message('m2', 2)], Date.now());
    core.cluster!.adopt(moved('s1', ['n1'], ['m1']), 'n2');
    assert.deepEqual(queued(core, 's1'), ['m2']);
  });

  it('not with redeliveries older than 30 s', () => {
    const core = node();
    core.cluster!.redeliver('n1', [message('m1', 1)], Date.now() - 31_000);
    core.cluster!.adopt(moved('s1', ['n1']), 'n2');
    assert.deepEqual(queued(core, 's1'), []);
  });

  it('a message\u2019s own copy that comes after its redelivery goes only to sessions that lack it [MQTT-4.3.3-10]', () => {
    // Seen in bench:chaos: sent at once for a node already reaped, the redelivery came
    // through JetStream 2 ms before the message's own copy came through core NATS.
    const core = node();
    core.cluster!.adopt(moved('s1', ['n1']), 'n1');
    core.cluster!.adopt(moved('s2', ['n4']), 'n4');
    core.cluster!.redeliver('n1', [message('m1', 2), message('m2', 1)], Date.now());
    assert.deepEqual(queued(core, 's1'), ['m1', 'm2']);
    assert.deepEqual(queued(core, 's2'), []);
    core.cluster!.route(message('m1', 2));
    core.cluster!.route(message('m2', 1));
    assert.deepEqual(queued(core, 's1'), ['m1', 'm2'], 'not twice');
    assert.deepEqual(queued(core, 's2'), ['m1', 'm2'], 'the copy for the others still goes');
  });

  it('a lost node\u2019s session replaces a stale copy here, not the session of a connected client', () => {
    const core = node();
    core.cluster!.adopt(moved('stale', ['n3']), 'n2');
    core.cluster!.redeliver('n1', [message('m1', 1)], Date.now());
    assert.equal(core.cluster!.adoptOrphan(moved('stale', ['n1']), 'n1'), true);
    assert.deepEqual(queued(core, 'stale'), ['m1'], 'the copy from the lost node, caught up');
    assert.deepEqual(core.sessions.get('stale')!.heldBy, ['n1', 'n3']);

    // Its CONNECT took the session here, and the CONNACK is still to go.
    core.cluster!.adopt(moved('online', ['n3']), 'n2');
    core.connections.add({ clientId: 'online' } as never);
    const here = core.sessions.get('online');
    assert.equal(core.cluster!.adoptOrphan(moved('online', ['n1']), 'n1'), false);
    assert.equal(core.sessions.get('online'), here);
  });
});
