// Routes a message to the sessions whose subscriptions match its topic. Matching is the
// subscription index's job; this decides QoS, flags and shared-subscription members.
import type { QoS } from '../protocol/constants.js';
import { SubscriptionIndex } from '../topic/index.js';
import type { Message } from './message.js';
import type { SharedStrategy } from './options.js';
import type { SubscriptionRecord } from './ports.js';
import type { Session } from './session.js';

/** One session's subscription, as stored in the index. */
export interface Subscriber {
  session: Session;
  options: SubscriptionRecord;
  /** Built once, so deliveries do not allocate it [MQTT-3.3.4-3]. */
  subscriptionIdentifiers: number[] | undefined;
  /** Of a persistent session when subscribed (the cluster's durable interest). */
  durable: boolean;
}

/** A $share group: one index entry, several members; each message goes to one of them. */
export class SharedGroup {
  readonly members: Subscriber[] = [];
  private next = 0;

  constructor(
    readonly name: string,
    readonly filter: string,
  ) {}

  /** Picks a connected member if there is one, else any (its session queues the message). */
  pick(strategy: SharedStrategy, message: Message): Subscriber | undefined {
    const count = this.members.length;
    if (count === 0) return undefined;
    let start: number;
    if (strategy === 'random') start = Math.floor(Math.random() * count);
    else if (strategy === 'hash') start = hash(message.origin ?? message.topic) % count;
    else start = this.next++ % count;
    for (let i = 0; i < count; i++) {
      const member = this.members[(start + i) % count]!;
      if (member.session.outlet !== undefined) return member;
    }
    return this.members[start];
  }
}

type IndexEntry = Subscriber | SharedGroup;

export interface RouteHooks {
  /** Read authorization per delivery; false skips the subscriber. */
  mayRead?(session: Session, topic: string): boolean;
  strategy: SharedStrategy;
  /**
   * In a cluster: told of every subscription added or removed, and of every shared group made
   * or emptied. Shared groups then get messages only through routeShared: the cluster picks
   * one member in all the nodes.
   */
  cluster?: {
    interest(filter: string, delta: 1 | -1, durable: boolean): void;
    sharedInterest(group: string, filter: string, delta: 1 | -1): void;
  };
}

export class Router {
  private readonly index = new SubscriptionIndex<IndexEntry>();
  private readonly groups = new Map<string, SharedGroup>();
  private routeMark = 0;
  private dollarFilters = 0;
  private readonly marks = new WeakMap<Session, number>();

  constructor(private readonly hooks: RouteHooks) {}

  /**
   * Whether any filter starts with '$': only those can match $SYS topics [MQTT-4.7.2-1], so
   * broker-made $SYS messages skip routing altogether when there are none.
   */
  get hasDollarSubscriptions(): boolean {
    return this.dollarFilters > 0;
  }

  private counted(filter: string, delta: number): void {
    if (filter.charCodeAt(0) === 0x24) this.dollarFilters += delta;
  }

  get subscriptionCount(): number {
    return this.index.size;
  }

  subscribe(
    session: Session,
    options: SubscriptionRecord,
    share?: { group: string; filter: string },
  ): void {
    const subscriber: Subscriber = {
      session,
      options,
      subscriptionIdentifiers: options.subscriptionIdentifier
        ? [options.subscriptionIdentifier]
        : undefined,
      durable: session.persistent,
    };
    if (share === undefined) {
      // A resubscription may change whether it is durable (the cluster counts those apart).
      const replaced = this.hooks.cluster && this.index.get(options.topicFilter, session.clientId);
      if (this.index.add(options.topicFilter, session.clientId, subscriber)) {
        this.counted(options.topicFilter, 1);
        this.hooks.cluster?.interest(options.topicFilter, 1, subscriber.durable);
      } else if (replaced && (replaced as Subscriber).durable !== subscriber.durable) {
        this.hooks.cluster?.interest(options.topicFilter, -1, !subscriber.durable);
        this.hooks.cluster?.interest(options.topicFilter, 1, subscriber.durable);
      }
      return;
    }
    const key = `${share.group}\u0000${share.filter}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new SharedGroup(share.group, share.filter);
      this.groups.set(key, group);
      this.index.add(share.filter, `$share/${share.group}`, group);
      this.counted(share.filter, 1);
      this.hooks.cluster?.sharedInterest(share.group, share.filter, 1);
    }
    const at = group.members.findIndex((m) => m.session === session);
    if (at >= 0) group.members[at] = subscriber;
    else group.members.push(subscriber);
  }

  unsubscribe(
    session: Session,
    topicFilter: string,
    share?: { group: string; filter: string },
  ): boolean {
    if (share === undefined) {
      const removed = this.index.remove(topicFilter, session.clientId);
      if (removed === undefined) return false;
      this.counted(topicFilter, -1);
      this.hooks.cluster?.interest(topicFilter, -1, (removed as Subscriber).durable);
      return true;
    }
    const key = `${share.group}\u0000${share.filter}`;
    const group = this.groups.get(key);
    if (group === undefined) return false;
    const at = group.members.findIndex((m) => m.session === session);
    if (at < 0) return false;
    group.members.splice(at, 1);
    if (group.members.length === 0) {
      this.groups.delete(key);
      this.index.remove(share.filter, `$share/${share.group}`);
      this.counted(share.filter, -1);
      this.hooks.cluster?.sharedInterest(share.group, share.filter, -1);
    }
    return true;
  }

  /** Other members of the groups this session belongs to, to take over its messages. */
  sharedGroupsOf(session: Session): SharedGroup[] {
    const out: SharedGroup[] = [];
    for (const group of this.groups.values()) {
      if (group.members.some((m) => m.session === session)) out.push(group);
    }
    return out;
  }

  /** Delivers to every matching session; returns how many received it. */
  route(message: Message): number {
    const matches = this.index.match(message.topic);
    const count = matches.length;
    if (count === 0) return 0;
    if (count === 1 || !this.hasOverlap(matches)) {
      let delivered = 0;
      for (let i = 0; i < count; i++) delivered += this.deliverEntry(matches[i]!, message);
      return delivered;
    }
    return this.routeMerged(matches, message);
  }

  /** Delivers to the matching subscribers whose session `accept` takes (cluster redelivery). */
  routeTo(message: Message, accept: (session: Session) => boolean): number {
    const sessions = new Map<Session, Subscriber>();
    for (const entry of this.index.match(message.topic)) {
      if (entry instanceof SharedGroup || !accept(entry.session)) continue;
      const seen = sessions.get(entry.session);
      sessions.set(entry.session, seen === undefined ? entry : mergeSubscribers(seen, entry));
    }
    let delivered = 0;
    for (const subscriber of sessions.values()) delivered += this.deliverTo(subscriber, message);
    return delivered;
  }

  /** A message the cluster gave this node for one of its shared groups. */
  routeShared(group: string, filter: string, message: Message): number {
    const entry = this.groups.get(`${group}\u0000${filter}`);
    return entry === undefined ? 0 : this.deliverToGroup(entry, message);
  }

  private deliverEntry(entry: IndexEntry, message: Message): number {
    if (!(entry instanceof SharedGroup)) return this.deliverTo(entry, message);
    return this.hooks.cluster === undefined ? this.deliverToGroup(entry, message) : 0;
  }

  private deliverToGroup(group: SharedGroup, message: Message): number {
    const member = group.pick(this.hooks.strategy, message);
    // Shared subscriptions never get the retain flag of a live message unless RAP.
    return member === undefined ? 0 : this.deliverTo(member, message);
  }

  private deliverTo(subscriber: Subscriber, message: Message): number {
    const { session, options } = subscriber;
    // [MQTT-3.8.3-3] No Local: not back to the publisher's own connection.
    if (options.noLocal && message.origin === session.clientId) return 0;
    if (this.hooks.mayRead !== undefined && !this.hooks.mayRead(session, message.topic)) return 0;
    const qos = Math.min(message.qos, options.qos) as QoS;
    // [MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published keeps the flag, else it is cleared.
    const retain = options.retainAsPublished && message.retain;
    session.deliver(message, qos, retain, subscriber.subscriptionIdentifiers);
    return 1;
  }

  /** True when one session appears more than once among the direct matches. */
  private hasOverlap(matches: readonly IndexEntry[]): boolean {
    const mark = ++this.routeMark;
    for (const entry of matches) {
      if (entry instanceof SharedGroup) continue;
      if (this.marks.get(entry.session) === mark) return true;
      this.marks.set(entry.session, mark);
    }
    return false;
  }

  /**
   * Overlapping subscriptions of one session: one copy at the highest QoS, with every
   * Subscription Identifier [MQTT-3.3.4-3] [MQTT-3.3.4-4] [MQTT-3.3.5-1].
   */
  private routeMerged(matches: readonly IndexEntry[], message: Message): number {
    const merged = new Map<Session, Subscriber>();
    let delivered = 0;
    for (const entry of matches) {
      if (entry instanceof SharedGroup) {
        delivered += this.deliverEntry(entry, message);
        continue;
      }
      if (entry.options.noLocal && message.origin === entry.session.clientId) continue;
      const seen = merged.get(entry.session);
      merged.set(entry.session, seen === undefined ? entry : mergeSubscribers(seen, entry));
    }
    for (const subscriber of merged.values()) delivered += this.deliverTo(subscriber, message);
    return delivered;
  }
}

function mergeSubscribers(a: Subscriber, b: Subscriber): Subscriber {
  const ids = [...(a.subscriptionIdentifiers ?? []), ...(b.subscriptionIdentifiers ?? [])];
  return {
    session: a.session,
    options: {
      ...a.options,
      qos: Math.max(a.options.qos, b.options.qos) as QoS,
      noLocal: false,
      retainAsPublished: a.options.retainAsPublished || b.options.retainAsPublished,
    },
    subscriptionIdentifiers: ids.length > 0 ? ids : undefined,
    durable: a.durable,
  };
}

/** FNV-1a: stable across runs, so one publisher always lands on the same member. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
