// Which nodes hold persistent sessions subscribed to what (durability: sync in a cluster).
// A node whose persistent sessions subscribe to a filter says so in a KV bucket; every node
// watches it, so the node that accepts a QoS 1/2 PUBLISH knows which other nodes must confirm
// that their store holds it (durable-acks.ts).
//
// A filter must never vanish from the bucket while a persistent session still subscribes to
// it somewhere: a message published in such a gap would be acknowledged without reaching
// the session. So a node announces a filter only once its NATS subscription is in place, a
// restarted node removes only the filters its restored sessions did not announce again, and
// a lost node's filters stay until the sessions it held have announced theirs elsewhere.
// Deletions are compare-and-set on the revision seen: a filter announced again meanwhile
// stays.
import type { KV } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import { SubscriptionIndex } from '../topic/index.js';
import { encodeToken, keyToken } from './subject.js';
import { followBucket } from './kv-follow.js';
import { listKeys } from './kv-keys.js';

/** A node's announced filters as seen at one moment: key → revision. */
export type Announced = Map<string, number>;

export class DurableInterest {
  /** Filters of this node's persistent sessions, counted. */
  private readonly local = new Map<string, number>();
  /** Filters of every node's persistent sessions, by node. */
  private readonly index = new SubscriptionIndex<string>();
  /** Writes on their way to the bucket. */
  private readonly writing = new Set<Promise<unknown>>();
  /** What this node's previous run announced (it was killed): removed after the restore. */
  private stale: Announced = new Map();
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly kv: KV,
    private readonly nodeName: string,
    /** Resolves once this node's NATS subscriptions so far are in place on the server. */
    private readonly subscribed: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stale = await this.announcedBy(this.nodeName);
    this.stopWatch = await followBucket(
      this.kv,
      this.log,
      'durable interest',
      (entry) => entry.string(),
      (key, filter, before) => {
        if (before !== undefined) this.index.remove(before, key);
        if (filter !== undefined) this.index.add(filter, key, key.slice(0, key.indexOf('.')));
      },
    );
  }

  /** The restored sessions have announced their filters: the previous run's others go. */
  async dropStale(): Promise<void> {
    const stale = this.stale;
    this.stale = new Map();
    await this.settled();
    await this.remove(stale);
  }

  /** The filters a node has announced, with their revisions. */
  async announcedBy(nodeName: string): Promise<Announced> {
    const announced: Announced = new Map();
    for (const key of await listKeys(this.kv, `${encodeToken(nodeName)}.>`)) {
      const entry = await this.kv.get(key).catch(() => null);
      if (entry !== null && entry.operation === 'PUT') announced.set(key, entry.revision);
    }
    return announced;
  }

  /** Removes the filters of `announced` that nobody announced again since. */
  async remove(announced: Announced): Promise<void> {
    for (const [key, revision] of announced)
      await this.kv.delete(key, { previousSeq: revision }).catch(() => {});
  }

  private key(filter: string): string {
    return `${encodeToken(this.nodeName)}.${keyToken(filter)}`;
  }

  /** A persistent session of this node subscribed to `filter` (+1) or left it (-1). */
  change(filter: string, delta: 1 | -1): void {
    const count = (this.local.get(filter) ?? 0) + delta;
    if (count > 0) this.local.set(filter, count);
    else this.local.delete(filter);
    if (delta === 1 && count === 1) this.write(() => this.kv.put(this.key(filter), filter));
    if (delta === -1 && count === 0) this.write(() => this.kv.delete(this.key(filter)));
  }

  /** Writes after the NATS subscriptions: announced means reachable. */
  private write(operation: () => Promise<unknown>): void {
    const done: Promise<unknown> = this.subscribed()
      .then(operation)
      .catch(() => {})
      .finally(() => this.writing.delete(done));
    this.writing.add(done);
  }

  /** Resolves once every announcement made so far is in the bucket. */
  async settled(): Promise<void> {
    await Promise.all([...this.writing]);
  }

  /** Other nodes holding persistent sessions subscribed to something matching `topic`. */
  nodesFor(topic: string): Set<string> {
    const nodes = new Set(this.index.match(topic));
    nodes.delete(encodeToken(this.nodeName));
    return nodes;
  }

  stop(): void {
    this.stopWatch?.();
  }
}
