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

type Bucket = Awaited<ReturnType<typeof newBucket>>;
type Previous = ConstructorParameters<typeof ClientClaims>[4];
type Subject = ConstructorParameters<typeof ClientClaims>[3];

/** Each test's nodes answer on subjects of their own. */
let tests = 0;
const subjects = () => {
  const n = ++tests;
  return (node: string, verb: string) => `claims-test${n}.${node}.${verb}`;
};
const previous = (stored: string[]): Previous => ({
  movedFrom: () => {},
  fromLostNode: async () => undefined,
  storedBy: async () => stored,
});

/**
 * Node `r`, adopting sessions from lost nodes: its sink holds the session once adopted and
 * hands it over when asked.
 */
async function adopter(kv: Bucket) {
  const nc = nats.nc();
  const subject = subjects();
  const claims = new ClientClaims(nc, kv, 'r', subject, previous([]), silentLogger);
  const node = { claims, subject, held: undefined as TransferredSession | undefined };
  const sink = {
    takenOver: () => {},
    surrender: () => {
      const session = node.held;
      node.held = undefined;
      return session;
    },
  } as unknown as ClusterSink;
  nc.subscribe(subject('r', 'surrender'), {
    callback: (_err, msg) => {
      Promise.resolve(claims.surrender(msg.data, sink)).then((reply) => msg.respond(reply));
    },
  });
  await nc.flush();
  return node;
}

/** Another node `x`, where the client connects, in `r`'s test. */
const connector = (kv: Bucket, r: { subject: Subject }, previous: Previous) =>
  new ClientClaims(nats.nc(), kv, 'x', r.subject, previous, silentLogger);

describe('cluster claims', () => {
  it('a surrender request during an adoption is answered with the adopted session', async () => {
    const kv = await newBucket();
    const r = await adopter(kv);
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const adoption = r.claims.adoptFromLost('c1', 'dead', async () => {
      await arrived; // the session is read from the lost node's store meanwhile
      r.held = { record: fullSession('c1'), outbound: [], incomingQos2: [] };
      return true;
    });
    // Let the adopter's claim land, then the client connects elsewhere.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const claim = connector(kv, r, previous([])).claim('c1', true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    arrive();
    const { session } = await claim;
    await adoption;
    assert.equal(session?.record.clientId, 'c1', 'the session, not a fresh one');
    assert.equal(r.held, undefined, 'and the adopter keeps no copy');
  });

  /** `r` reaped the lost node `dead` and adopted c1; a CONNECT on `x` replaced `dead` too. */
  async function reaped(kv: Bucket) {
    const r = await adopter(kv);
    await kv.put('c.c1', JSON.stringify({ node: 'dead' }));
    await r.claims.adoptFromLost('c1', 'dead', async () => {
      r.held = { record: fullSession('c1'), outbound: [], incomingQos2: [] };
      return true;
    });
    // The CONNECT elsewhere read the lost node as the owner, and its update went through too.
    await kv.put('c.c1', JSON.stringify({ node: 'dead' }));
    return r;
  }

  it('a claim that replaced a lost node as its reaper did gets the session from the reaper', async () => {
    const kv = await newBucket();
    const r = await reaped(kv);
    const claim = await connector(kv, r, previous(['dead', 'r'])).claim('c1', true);
    assert.equal(claim.session?.record.clientId, 'c1', "the reaper's session, not a fresh one");
    assert.equal(claim.lost(), false);
    assert.equal(r.held, undefined, 'and the reaper keeps no copy');
  });

  it("such a claim loses when the reaper's claim is the later one in the bucket", async () => {
    const kv = await newBucket();
    const r = await reaped(kv);
    const later = {
      ...previous(['dead', 'r']),
      // The reaper's update lands after this claim's.
      fromLostNode: async () => {
        await kv.put('c.c1', JSON.stringify({ node: 'r', from: 'dead' }));
        return undefined;
      },
    };
    const claim = await connector(kv, r, later).claim('c1', true);
    assert.equal(claim.session, undefined);
    assert.equal(claim.lost(), true, 'the client reconnects and resumes on the reaper');
    assert.equal(r.held?.record.clientId, 'c1', 'the reaper keeps the session');
  });
});
