// Client claims (src/cluster/claims.ts) against a real nats-server: a CONNECT elsewhere that
// asks for a session this node is still adopting from a lost node gets it once it is here,
// not "no session" (the client would have lost it) [MQTT-3.1.2-4] [MQTT-4.1.0-1]; and one
// that replaced the lost node in the same moment as the reaping node did (a clustered
// nats-server 2.9 lets both compare-and-set updates through) finds the session there, or
// loses to the reaper's claim if that one is later [MQTT-3.1.4-3].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterSink, TransferredSession } from '../../src/broker/ports.js';
import { ClientClaims } from '../../src/cluster/claims.js';
import { silentLogger } from '../../src/broker/hooks.js';
import { fullSession } from '../../src/store/contract-records.js';
import { kvBuckets, natsForTests } from './nats.js';

const nats = natsForTests();
const newBucket = kvBuckets('claims');

describe('cluster claims', () => {
  it('a surrender request during an adoption is answered with the adopted session', async () => {
    const nc = nats.nc();
    const kv = await newBucket();
    const subject = (node: string, verb: string) => `claims-test.${node}.${verb}`;
    const noPrevious = {
      movedFrom: () => {},
      fromLostNode: async () => undefined,
      storedBy: async () => [],
    };
    const adopter = new ClientClaims(nc, kv, 'r', subject, noPrevious, silentLogger);
    const connector = new ClientClaims(nc, kv, 'x', subject, noPrevious, silentLogger);
    // The adopter's sink: holds the session once adopted, hands it over when asked.
    let held: TransferredSession | undefined;
    const sink = {
      takenOver: () => {},
      surrender: () => {
        const session = held;
        held = undefined;
        return session;
      },
    } as unknown as ClusterSink;
    nc.subscribe(subject('r', 'surrender'), {
      callback: (_err, msg) => {
        Promise.resolve(adopter.surrender(msg.data, sink)).then((reply) => msg.respond(reply));
      },
    });
    await nc.flush();

    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const adoption = adopter.adoptFromLost('c1', 'dead', async () => {
      await arrived; // the session is read from the lost node's store meanwhile
      held = { record: fullSession('c1'), outbound: [], incomingQos2: [] };
    });
    // Let the adopter's claim land, then the client connects elsewhere.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const claim = connector.claim('c1', true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    arrive();
    const { session } = await claim;
    await adoption;
    assert.equal(session?.record.clientId, 'c1', 'the session, not a fresh one');
    assert.equal(held, undefined, 'and the adopter keeps no copy');
  });

  /** A reaper `r` that adopted c1 from the lost node `dead`, and its surrender answers. */
  async function reaped(kv: Awaited<ReturnType<typeof newBucket>>) {
    const nc = nats.nc();
    const subject = (node: string, verb: string) => `claims-test2.${node}.${verb}`;
    const noPrevious = {
      movedFrom: () => {},
      fromLostNode: async () => undefined,
      storedBy: async () => ['dead', 'r'],
    };
    const reaper = new ClientClaims(nc, kv, 'r', subject, noPrevious, silentLogger);
    let held: TransferredSession | undefined;
    const sink = {
      takenOver: () => {},
      surrender: () => {
        const session = held;
        held = undefined;
        return session;
      },
    } as unknown as ClusterSink;
    nc.subscribe(subject('r', 'surrender'), {
      callback: (_err, msg) => {
        Promise.resolve(reaper.surrender(msg.data, sink)).then((reply) => msg.respond(reply));
      },
    });
    await nc.flush();
    await kv.put('c.c1', JSON.stringify({ node: 'dead' }));
    await reaper.adoptFromLost('c1', 'dead', async () => {
      held = { record: fullSession('c1'), outbound: [], incomingQos2: [] };
    });
    // The CONNECT elsewhere read the lost node as the owner, and its update went through too.
    await kv.put('c.c1', JSON.stringify({ node: 'dead' }));
    return { nc, subject, noPrevious, held: () => held };
  }

  it('a claim that replaced a lost node as its reaper did gets the session from the reaper', async () => {
    const kv = await newBucket();
    const { nc, subject, noPrevious, held } = await reaped(kv);
    const connector = new ClientClaims(nc, kv, 'x', subject, noPrevious, silentLogger);
    const claim = await connector.claim('c1', true);
    assert.equal(claim.session?.record.clientId, 'c1', "the reaper's session, not a fresh one");
    assert.equal(claim.lost(), false);
    assert.equal(held(), undefined, 'and the reaper keeps no copy');
  });

  it("such a claim loses when the reaper's claim is the later one in the bucket", async () => {
    const kv = await newBucket();
    const { nc, subject, noPrevious, held } = await reaped(kv);
    const later = {
      ...noPrevious,
      // The reaper's update lands after this claim's.
      fromLostNode: async () => {
        await kv.put('c.c1', JSON.stringify({ node: 'r', from: 'dead' }));
        return undefined;
      },
    };
    const connector = new ClientClaims(nc, kv, 'x', subject, later, silentLogger);
    const claim = await connector.claim('c1', true);
    assert.equal(claim.session, undefined);
    assert.equal(claim.lost(), true, 'the client reconnects and resumes on the reaper');
    assert.equal(held()?.record.clientId, 'c1', 'the reaper keeps the session');
  });
});
