// Client claims (src/cluster/claims.ts) against a real nats-server: a CONNECT elsewhere that
// asks for a session this node is still adopting from a lost node gets it once it is here,
// not "no session" (the client would have lost it) [MQTT-3.1.2-4] [MQTT-4.1.0-1].
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
});
