// One connection per client id in the whole cluster [MQTT-3.1.4-3]. A CONNECT writes the
// client's key in a JetStream KV bucket; the bucket's revision orders every claim, so when
// two nodes claim one id at once the later revision wins and the other node closes its
// connection (0x8E). The previous owner named in the key hands over the session.
import type { NatsConnection } from '@nats-io/transport-node';
import { type KV, KvWatchInclude } from '@nats-io/kv';
import type { ClusterSink, TransferredSession } from '../broker/ports.js';
import type { Logger } from '../broker/hooks.js';
import { decodeSession, encodeSession } from './session-codec.js';
import { retrying } from './retry.js';
import { keyToken } from './subject.js';

/** How long a CONNECT waits for the client bucket (a NATS failover takes a few seconds). */
const CLAIM_MS = 10_000;

interface Owner {
  node: string;
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
  /** Claims in progress here: the highest revision another node wrote meanwhile. */
  private readonly pending = new Map<string, number>();
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly nodeName: string,
    private readonly surrenderSubject: (node: string) => string,
    private readonly previous: {
      /** The client was held by another node before: called with that node. */
      movedFrom(node: string, clientId: string): void;
      /** That node did not answer: its session as kept in the cluster, if any. */
      fromLostNode(node: string, clientId: string): Promise<TransferredSession | undefined>;
    },
    private readonly log: Logger,
  ) {}

  async start(sink: ClusterSink): Promise<void> {
    const watch = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    this.stopWatch = () => watch.stop();
    (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') continue;
        const owner = entry.json<Owner>();
        if (owner.node === this.nodeName) continue;
        this.claimedElsewhere(entry.key, entry.revision, sink);
      }
    })().catch((err) => this.log.error({ err }, 'cluster: client claim watch failed'));
  }

  private claimedElsewhere(key: string, revision: number, sink: ClusterSink): void {
    const clientId = this.keys.get(key);
    if (clientId === undefined) return;
    const waiting = this.pending.get(clientId);
    if (waiting !== undefined) {
      this.pending.set(clientId, Math.max(waiting, revision));
      return;
    }
    const own = this.owned.get(clientId);
    if (own === undefined || own > revision) return;
    this.owned.delete(clientId);
    this.keys.delete(key);
    sink.takenOver(clientId);
  }

  /** Keys of the clients known here, back to their ids (keys are escaped ids). */
  private readonly keys = new Map<string, string>();

  async claim(clientId: string, resume: boolean): Promise<Claim> {
    const key = `c.${keyToken(clientId)}`;
    this.keys.set(key, clientId);
    this.pending.set(clientId, 0);
    let revision: number;
    let previous: Owner | undefined;
    let later = 0;
    try {
      // Compare-and-set on the owner read: a node reaping the previous owner may take the
      // client meanwhile, and then it is the one to ask for the session.
      const value = JSON.stringify({ node: this.nodeName });
      revision = await retrying(async () => {
        const entry = await this.kv.get(key);
        const held = entry !== null && entry.operation === 'PUT';
        previous = held ? entry.json<Owner>() : undefined;
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
    // Reaping the lost node that held the client, this node may have taken it (the owner
    // read is then this node) and be adopting its session: resume that, not a new one.
    await this.adopting.get(clientId);
    this.owned.set(clientId, revision);
    let session: TransferredSession | undefined;
    if (previous !== undefined && previous.node !== this.nodeName) {
      this.previous.movedFrom(previous.node, clientId);
      session = await this.takeSession(previous.node, clientId, resume);
    }
    // Or it claimed while the session was being handed over.
    // Asked again when the connection is admitted: a claim seen in between wins too.
    return { session, from: previous?.node, lost: () => this.owned.get(clientId) !== revision };
  }

  /**
   * Takes a lost node's client that has not come back, and its session (`take`): a CONNECT of
   * that client here waits until the session is adopted, and then resumes it.
   */
  async adoptFromLost(clientId: string, lost: string, take: () => Promise<void>): Promise<void> {
    const done = (async () => {
      if (await this.claimFromLost(clientId, lost)) await take();
    })();
    this.adopting.set(clientId, done);
    try {
      await done;
    } finally {
      this.adopting.delete(clientId);
    }
  }

  /** Makes this node the owner (compare-and-set: false when the client claimed elsewhere). */
  private async claimFromLost(clientId: string, lost: string): Promise<boolean> {
    const key = `c.${keyToken(clientId)}`;
    const entry = await this.kv.get(key);
    const value = JSON.stringify({ node: this.nodeName });
    const held = entry !== null && entry.operation === 'PUT';
    if (held && entry.json<Owner>().node !== lost) return false;
    try {
      const revision = held
        ? await this.kv.update(key, value, entry.revision)
        : await this.kv.create(key, value);
      this.keys.set(key, clientId);
      this.owned.set(clientId, revision);
      return true;
    } catch {
      return false;
    }
  }

  /** Asks the node that held the client for its session; a dead node gives nothing. */
  private async takeSession(
    node: string,
    clientId: string,
    resume: boolean,
  ): Promise<TransferredSession | undefined> {
    try {
      const reply = await this.nc.request(
        this.surrenderSubject(node),
        JSON.stringify({ clientId, resume }),
        { timeout: 2000 },
      );
      return reply.data.length === 0 ? undefined : decodeSession(reply.data);
    } catch (err) {
      this.log.warn(
        { clientId, previous: node, err: String(err) },
        'cluster: previous node did not answer; taking its session from the cluster',
      );
      // Taken even with Clean Start, so that the old session is gone for good [MQTT-3.1.2-4].
      const kept = await this.previous.fromLostNode(node, clientId);
      if (resume && kept === undefined)
        this.log.warn({ clientId, previous: node }, 'cluster: no session kept for the client');
      return resume ? kept : undefined;
    }
  }

  /** Answers another node's surrender request (subject of this node). */
  surrender(data: Uint8Array, sink: ClusterSink): Uint8Array {
    const { clientId, resume } = JSON.parse(Buffer.from(data).toString('utf8'));
    const own = this.owned.get(clientId);
    if (own !== undefined) {
      this.owned.delete(clientId);
      sink.takenOver(clientId);
    }
    const session = sink.surrender(clientId, resume);
    return session === undefined ? new Uint8Array(0) : encodeSession(session);
  }

  /** The client left for good: drop its key, unless another node claimed it meanwhile. */
  release(clientId: string): void {
    const revision = this.owned.get(clientId);
    if (revision === undefined) return;
    this.owned.delete(clientId);
    const key = `c.${keyToken(clientId)}`;
    this.keys.delete(key);
    this.kv.delete(key, { previousSeq: revision }).catch(() => {});
  }

  stop(): void {
    this.stopWatch?.();
  }
}
