// One connection per client id in the whole cluster [MQTT-3.1.4-3]. A CONNECT writes the
// client's key in a JetStream KV bucket by compare-and-set on the owner it read; the
// bucket's revision orders every claim, and the later claimer asks the owner it replaced to
// surrender (naming its revision): that node closes its connection (0x8E), or loses its own
// claim in progress, and hands over the session. No node watches the bucket: a CONNECT costs
// the same with 2 nodes or 50.
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { ClusterSink, TransferredSession } from '../broker/ports.js';
import type { Logger } from '../broker/hooks.js';
import { decodeSession, encodeSession } from './session-codec.js';
import { retrying } from './retry.js';
import { keyToken } from './subject.js';

/** How long a CONNECT waits for the client bucket (a NATS failover takes a few seconds). */
const CLAIM_MS = 10_000;
/** How long the claim that replaced this node's is remembered: longer than a CONNECT's claim. */
const SUCCESSOR_MS = 15_000;
/** Redirections a surrender request follows (each to a later claim's node). */
const MAX_HOPS = 3;
/** A surrender answer: a later claim had replaced the owner this claim replaced. */
const LOST: unique symbol = Symbol('lost');

const answer = (value: object) => Buffer.from(JSON.stringify(value));

/** The client's key in the clients bucket. */
const claimKey = (clientId: string) => `c.${keyToken(clientId)}`;

/** A claimer asking the owner it replaced for the client's session. */
interface SurrenderRequest {
  clientId: string;
  resume: boolean;
  /** The revision of the claimer's compare-and-set. */
  revision: number;
  /** The claimer. */
  node: string;
}

interface Owner {
  node: string;
  /** The owner before it, whose stored copy of the session stays until `node` has its own. */
  from?: string;
}

/** A claim's outcome: the session handed over, and whether a later claim elsewhere won. */
export interface Claim {
  session: TransferredSession | undefined;
  /** The node the session came from. */
  from?: string;
  /** Whether a later claim elsewhere has won, asked when the connection is admitted. */
  lost(): boolean;
}

export class ClientClaims {
  /** Claim revisions of the clients connected here. */
  private readonly owned = new Map<string, number>();
  /** Sessions this node is taking from a lost node, by client id (adoptFromLost). */
  private readonly adopting = new Map<string, Promise<unknown>>();
  /** Sessions this node took from a lost node lately: client id → that node (adoptFromLost). */
  private readonly adopted = new Map<string, { node: string; at: number }>();
  /** Claims that replaced this node's, by client id (surrender). */
  private readonly successors = new Map<string, { node: string; revision: number; at: number }>();
  /** Claims in progress here: the highest revision a surrender request named meanwhile. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly nodeName: string,
    /** A node's subject for a request: 'surrender' (the session, please), 'moved' (stored now). */
    private readonly nodeSubject: (node: string, verb: 'surrender' | 'moved') => string,
    private readonly previous: {
      /** The client was held by another node before: called with that node. */
      movedFrom(node: string, clientId: string): void;
      /** That node did not answer: its session as kept in the cluster, if any. */
      fromLostNode(node: string, clientId: string): Promise<TransferredSession | undefined>;
      /** The nodes that keep a copy of the client's session in the cluster. */
      storedBy(clientId: string): Promise<string[]>;
    },
    private readonly log: Logger,
  ) {}

  async claim(clientId: string, resume: boolean): Promise<Claim> {
    const key = claimKey(clientId);
    this.pending.set(clientId, 0);
    let revision: number;
    let previous: Owner | undefined;
    let later = 0;
    try {
      // Compare-and-set on the owner read: a node reaping the previous owner may take the
      // client meanwhile, and then it is the one to ask for the session.
      revision = await retrying(async () => {
        const entry = await this.kv.get(key);
        const held = entry !== null && entry.operation === 'PUT';
        previous = held ? entry.json<Owner>() : undefined;
        const value = JSON.stringify({ node: this.nodeName, from: previous?.node });
        return entry === null
          ? this.kv.create(key, value)
          : this.kv.update(key, value, entry.revision);
      }, CLAIM_MS);
    } finally {
      later = this.pending.get(clientId) ?? 0;
      this.pending.delete(clientId);
    }
    // Another node claimed after us while we waited: it wins.
    if (later > revision) return { session: undefined, lost: () => true };
    // Owned from here on without a gap: a surrender request arriving now must find it.
    this.owned.set(clientId, revision);
    // Reaping the lost node that held the client, this node may have taken it (the owner
    // read is then this node) and be adopting its session: resume that, not a new one.
    await this.adopting.get(clientId);
    let session: TransferredSession | undefined;
    if (
      previous !== undefined &&
      previous.node !== this.nodeName &&
      !this.adoptedHere(clientId, previous.node)
    ) {
      this.previous.movedFrom(previous.node, clientId);
      const taken = await this.takeSession(previous, clientId, resume, revision);
      // The owner we replaced had been replaced by a later claim already.
      if (taken === LOST && this.owned.get(clientId) === revision) this.owned.delete(clientId);
      else if (taken !== LOST) session = taken;
    }
    // Or it claimed while the session was being handed over.
    // Asked again when the connection is admitted: a claim seen in between wins too.
    return { session, from: previous?.node, lost: () => this.owned.get(clientId) !== revision };
  }

  /**
   * Takes a lost node's client that has not come back, and its session (`take`): a CONNECT of
   * that client here waits until the session is adopted, and then resumes it.
   */
  async adoptFromLost(clientId: string, lost: string, take: () => Promise<boolean>): Promise<void> {
    const done = (async () => {
      if (!(await this.claimFromLost(clientId, lost)) || !(await take())) return;
      keep(this.adopted, clientId, { node: lost, at: Date.now() });
    })();
    this.adopting.set(clientId, done);
    try {
      await done;
    } finally {
      this.adopting.delete(clientId);
    }
  }

  /**
   * Whether this node adopted the client's session from `lost` lately: a CONNECT whose claim
   * replaced `lost` in the same moment as this node's (nats-server 2.9 lets both through)
   * resumes it, rather than take a stale copy from the store again.
   */
  private adoptedHere(clientId: string, lost: string): boolean {
    const adopted = this.adopted.get(clientId);
    this.adopted.delete(clientId);
    return adopted?.node === lost;
  }

  /**
   * Makes this node the owner (compare-and-set: false when the client claimed elsewhere, or
   * is connecting here: its CONNECT takes the session).
   */
  private async claimFromLost(clientId: string, lost: string): Promise<boolean> {
    if (this.pending.has(clientId) || this.owned.has(clientId)) return false;
    const key = claimKey(clientId);
    const entry = await this.kv.get(key);
    const value = JSON.stringify({ node: this.nodeName, from: lost });
    const held = entry !== null && entry.operation === 'PUT';
    if (held && entry.json<Owner>().node !== lost) return false;
    try {
      const revision = held
        ? await this.kv.update(key, value, entry.revision)
        : await this.kv.create(key, value);
      this.owned.set(clientId, revision);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Asks the node that held the client for its session. It keeps its stored copy until this
   * node has stored its own (`release` says so). A dead node's copy is taken from the cluster:
   * its own, or, when it died before storing the session it had just taken, the copy of the
   * node it took it from.
   */
  private async takeSession(
    previous: Owner,
    clientId: string,
    resume: boolean,
    revision: number,
    hops = 0,
  ): Promise<TransferredSession | undefined | typeof LOST> {
    const { node } = previous;
    try {
      const request: SurrenderRequest = { clientId, resume, revision, node: this.nodeName };
      const reply = await this.nc.request(
        this.nodeSubject(node, 'surrender'),
        JSON.stringify(request),
        { timeout: 2000 },
      );
      if (reply.data.length === 0) return undefined;
      const said = JSON.parse(reply.string()) as { claim?: 'lost' | 'ask'; node?: string };
      if (said.claim === 'lost') return LOST;
      if (said.claim === 'ask' && hops < MAX_HOPS)
        return this.takeSession({ node: said.node! }, clientId, resume, revision, hops + 1);
      if (said.claim !== undefined) return undefined;
      const session = decodeSession(reply.data);
      session.release = () => this.nc.publish(this.nodeSubject(node, 'moved'), clientId);
      return session;
    } catch (err) {
      this.log.warn(
        { clientId, previous: node, err: String(err) },
        'cluster: previous node did not answer; taking its session from the cluster',
      );
      // Taken even with Clean Start, so that the old session is gone for good [MQTT-3.1.2-4].
      let kept = await this.previous.fromLostNode(node, clientId);
      const before = previous.from;
      if (kept === undefined && before !== undefined && before !== this.nodeName)
        kept = await this.previous.fromLostNode(before, clientId);
      if (!resume || kept !== undefined) return resume ? kept : undefined;
      return this.takenMeanwhile(node, clientId, resume, revision, hops);
    }
  }

  /**
   * The lost node's copy is gone: a node reaping it may have taken the session in the same
   * moment this claim replaced it (a clustered nats-server 2.9 lets two compare-and-set
   * updates of one revision through), and stored it under its own name before removing the
   * copy. The later of the two claims in the bucket wins: if it is the other node's, this
   * claim lost (the client comes back and resumes there); if it is this one, the session is
   * asked of the node that stored it.
   */
  private async takenMeanwhile(
    lost: string,
    clientId: string,
    resume: boolean,
    revision: number,
    hops: number,
  ): Promise<TransferredSession | undefined | typeof LOST> {
    const entry = await this.kv.get(claimKey(clientId)).catch(() => null);
    const owner = entry?.operation === 'PUT' ? entry.json<Owner>().node : undefined;
    if (owner !== undefined && owner !== this.nodeName) return LOST;
    const holder = (await this.previous.storedBy(clientId)).find(
      (node) => node !== this.nodeName && node !== lost,
    );
    if (holder !== undefined && hops < MAX_HOPS)
      return this.takeSession({ node: holder }, clientId, resume, revision, hops + 1);
    this.log.warn({ clientId, previous: lost }, 'cluster: no session kept for the client');
    return undefined;
  }

  /**
   * Answers another node's surrender request (subject of this node): the claim of revision
   * `revision` there is later than ours, so our connection goes, or our claim in progress
   * loses. A request that arrives late (this node was slow) still closes the connection.
   * Two claims may both replace ours (a clustered nats-server 2.9 lets two concurrent
   * compare-and-set updates of one revision through): the later one is sent on to the
   * earlier, which hands over in turn; the earlier, asking after the later, has lost.
   */
  surrender(data: Uint8Array, sink: ClusterSink): Uint8Array | Promise<Uint8Array> {
    const request: SurrenderRequest = JSON.parse(Buffer.from(data).toString('utf8'));
    // Adopting the client's session from a lost node: it is on its way here. Answered before
    // it arrives, the request would find no session, and the client would lose it.
    const adopting = this.adopting.get(request.clientId);
    if (adopting === undefined) return this.handOver(request, sink);
    const handOver = () => this.handOver(request, sink);
    return adopting.then(handOver, handOver);
  }

  private handOver(request: SurrenderRequest, sink: ClusterSink): Uint8Array {
    const { clientId, resume, revision } = request;
    const after = this.successors.get(clientId);
    const another = after !== undefined && after.node !== request.node ? after : undefined;
    if (another !== undefined && another.revision > revision) return answer({ claim: 'lost' });
    this.remember(clientId, request.node, revision);
    if (another !== undefined) return answer({ claim: 'ask', node: another.node });
    const waiting = this.pending.get(clientId);
    if (waiting !== undefined) this.pending.set(clientId, Math.max(waiting, revision));
    const own = this.owned.get(clientId);
    // The client came back here after that claim: this connection is the later one.
    if (own !== undefined && own > revision) return new Uint8Array(0);
    if (own !== undefined) {
      this.owned.delete(clientId);
      sink.takenOver(clientId);
    }
    const session = sink.surrender(clientId, resume);
    return session === undefined ? new Uint8Array(0) : encodeSession(session);
  }

  /** The claim that replaced this node's, kept SUCCESSOR_MS. */
  private remember(clientId: string, node: string, revision: number): void {
    keep(this.successors, clientId, { node, revision, at: Date.now() });
  }

  /** The client left for good: drop its key, unless another node claimed it meanwhile. */
  release(clientId: string): void {
    const revision = this.owned.get(clientId);
    if (revision === undefined) return;
    this.owned.delete(clientId);
    this.kv.delete(claimKey(clientId), { previousSeq: revision }).catch(() => {});
  }
}

/** Sets `entry` last in `map` (oldest first), dropping the entries older than SUCCESSOR_MS. */
function keep<T extends { at: number }>(map: Map<string, T>, clientId: string, entry: T): void {
  for (const [id, old] of map) {
    if (entry.at - old.at < SUCCESSOR_MS) break;
    map.delete(id);
  }
  map.delete(clientId);
  map.set(clientId, entry);
}
