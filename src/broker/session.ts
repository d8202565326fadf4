// A session (MQTT 5.0 section 4.1): subscriptions plus QoS 1/2 state towards its client. It
// outlives connections when persistent. Only its own connection and the router change it.
import type { ProtocolVersion, QoS } from '../protocol/constants.js';
import type { BrokerEvents, DeliveryDropReason } from './hooks.js';
import { type Message, ownPayload } from './message.js';
import type { BrokerOptions } from './options.js';
import type {
  CompletedMarker,
  OutboundRecord,
  SessionRecord,
  SessionStore,
  SubscriptionRecord,
} from './ports.js';
import { SmallMap } from '../topic/small-map.js';
import { sameMessage } from './qos2-seen.js';
import { RecentIds } from './recent-ids.js';
import type { BrokerStats } from './stats.js';

export interface OutboundEntry {
  seq: number;
  message: Message;
  qos: QoS;
  retain: boolean;
  subscriptionIdentifiers?: number[];
  packetId: number;
  state: 'queued' | 'sent' | 'pubrel';
}

/** What a session needs from the connection currently attached to it. */
export interface Outlet {
  /** The client's Receive Maximum (5.0) or our in-flight limit (3.1.1). */
  readonly sendQuota: number;
  /** Writes a PUBLISH; false when it could not be sent (too large for the client). */
  sendPublish(
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
    packetId: number,
    dup: boolean,
  ): boolean;
  sendPubrel(packetId: number): void;
  /** False while the socket is backed up: QoS 0 messages are then dropped. */
  acceptsQos0(): boolean;
  /** Whether this connection's client may read `topic` (the authorizer's read check). */
  mayRead(topic: string): boolean;
}

export interface SessionContext {
  options: BrokerOptions;
  stats: BrokerStats;
  readonly events: BrokerEvents;
  readonly sessionStore: SessionStore;
  now(): number;
}

export class Session {
  // Created on first use: most connections never subscribe or use QoS 1/2, and an idle
  // connection should cost as little memory as possible.
  private subscriptionMap: SmallMap<string, SubscriptionRecord> | undefined;
  private inflightMap: Map<number, OutboundEntry> | undefined;
  private incomingQos2Set: Set<number> | undefined;
  outlet: Outlet | undefined;
  /** Seconds after disconnect before the session ends (0xFFFFFFFF: never). */
  expiryInterval = 0;
  disconnectedAt: number | undefined;
  protocolVersion: ProtocolVersion = 4;
  /** A will waiting for its delay, kept in the session record. */
  delayedWill: { message: Message; publishAt: number } | undefined;
  /** True once the store holds a record of this session. */
  stored = false;
  /** In a cluster: the nodes that held this session before it came here (recent ones). */
  heldBy: string[] | undefined;
  /** In a cluster: what it got lately, for redeliveries and resends (recent-ids.ts). */
  recent: RecentIds | undefined;
  private queue: OutboundEntry[] = [];
  /** In flight from an earlier connection, waiting to be sent again on this one. */
  private resend: OutboundEntry[] = NOTHING_TO_RESEND;
  /** Sent on the current connection and not yet acknowledged (PUBACK / PUBCOMP). */
  private outstanding = 0;
  private queueHead = 0;
  private nextPacketId = 1;
  private nextSeq = 1;

  constructor(
    readonly clientId: string,
    private readonly context: SessionContext,
  ) {}

  get subscriptions(): SmallMap<string, SubscriptionRecord> {
    this.subscriptionMap ??= new SmallMap();
    return this.subscriptionMap;
  }

  /** QoS 1/2 messages sent and not yet acknowledged, by packet id. */
  get inflight(): Map<number, OutboundEntry> {
    this.inflightMap ??= new Map();
    return this.inflightMap;
  }

  /** QoS 2 packet ids received and not yet released (PUBREL). */
  get incomingQos2(): Set<number> {
    this.incomingQos2Set ??= new Set();
    return this.incomingQos2Set;
  }

  get inflightCount(): number {
    return this.inflightMap?.size ?? 0;
  }

  /** A persistent session is mirrored to the store and survives disconnection. */
  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  deliver(message: Message, qos: QoS, retain: boolean, subscriptionIdentifiers?: number[]): void {
    const outlet = this.outlet;
    if (message.id !== undefined) {
      // [MQTT-4.3.3-10] had on the node it came from: a late copy, not a new message.
      if (qos === 2 && this.recent?.hadBefore(message.id, this.context.now())) return;
      this.remember(message.id, qos === 2);
    }
    if (qos === 0 && (outlet !== undefined || !this.context.options.queueQos0Offline)) {
      if (outlet === undefined) return;
      if (outlet.acceptsQos0())
        outlet.sendPublish(message, 0, retain, subscriptionIdentifiers, 0, false);
      else this.dropped(message, 'slow_consumer');
      return;
    }
    const entry: OutboundEntry = {
      seq: this.nextSeq++,
      message,
      qos,
      retain,
      subscriptionIdentifiers,
      packetId: 0,
      state: 'queued',
    };
    if (
      outlet !== undefined &&
      this.queuedCount === 0 &&
      this.resend.length === 0 &&
      this.outstanding < outlet.sendQuota
    ) {
      this.send(entry, outlet, false);
    } else if (this.queuedCount < this.context.options.maxQueuedMessages) {
      ownPayload(message);
      this.queue.push(entry);
      if (this.persistent)
        this.context.sessionStore.saveOutbound(this.clientId, outboundRecord(entry));
    } else {
      this.dropped(message, 'queue_full');
    }
  }

  /** Counts a message this session could not take, and tells the rule engine if it listens. */
  private dropped(message: Message, reason: DeliveryDropReason): void {
    const stats = this.context.stats.dropped;
    if (reason === 'queue_full') stats.queueFull++;
    else if (reason === 'expired') stats.expired++;
    else if (reason === 'slow_consumer') stats.slowConsumer++;
    const listener = this.context.events.deliveryDropped;
    if (listener !== undefined) listener(this, message, reason);
  }

  /** PUBACK, or PUBCOMP, or a PUBREC with an error code: the message is done [MQTT-4.3.2-5]. */
  complete(packetId: number, acked = false): boolean {
    const entry = this.inflight.get(packetId);
    if (entry === undefined) return false;
    const listener = this.context.events.messageAcked;
    if (acked && listener !== undefined) listener(this, entry.message, entry.qos);
    this.inflight.delete(packetId);
    const waiting = this.resend.indexOf(entry);
    if (waiting >= 0) this.resend.splice(waiting, 1);
    else this.outstanding--;
    // A completed QoS 2 message stays known to a cluster's store for a while (a marker).
    if (this.persistent) {
      const done = entry.qos === 2 ? entry.message.id : undefined;
      this.context.sessionStore.deleteOutbound(this.clientId, entry.seq, done);
    }
    this.drain();
    return true;
  }

  /** PUBREC: from now on only PUBREL / PUBCOMP, never the PUBLISH again [MQTT-4.3.3-5]. */
  released(packetId: number): boolean {
    const entry = this.inflight.get(packetId);
    if (entry === undefined || entry.qos !== 2) return false;
    entry.state = 'pubrel';
    if (this.persistent)
      this.context.sessionStore.saveOutbound(this.clientId, outboundRecord(entry));
    return true;
  }

  /** A connection took this session: resend what is in flight, then the queue [MQTT-4.4.0-1]. */
  attach(outlet: Outlet): void {
    this.outlet = outlet;
    this.disconnectedAt = undefined;
    this.dropUnreadable(outlet);
    // In-flight messages go again first, in order, but within the new connection's Receive
    // Maximum [MQTT-4.4.0-1] [MQTT-3.3.4-9]; drain() sends the rest as slots free up.
    this.outstanding = 0;
    this.resend = this.inflightCount > 0 ? [...this.inflightMap!.values()] : NOTHING_TO_RESEND;
    this.drain();
  }

  /**
   * Messages kept from before this connection (queued while offline, or in flight to an
   * earlier connection, maybe of another user) were never checked against this client's read
   * access: check them now, as Mosquitto does on reconnect.
   */
  private dropUnreadable(outlet: Outlet): void {
    const dropped: OutboundEntry[] = [];
    for (const [packetId, entry] of this.inflightMap ?? []) {
      if (entry.state === 'pubrel' || outlet.mayRead(entry.message.topic)) continue;
      this.inflightMap!.delete(packetId);
      dropped.push(entry);
    }
    const kept: OutboundEntry[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (outlet.mayRead(entry.message.topic)) kept.push(entry);
      else dropped.push(entry);
    }
    if (dropped.length === 0) return;
    this.queue = kept;
    this.queueHead = 0;
    if (this.persistent)
      for (const entry of dropped)
        this.context.sessionStore.deleteOutbound(this.clientId, entry.seq);
  }

  detach(now: number): void {
    this.outlet = undefined;
    this.disconnectedAt = now;
  }

  /** Clean Start: drop all state [MQTT-3.1.2-4]. */
  clear(): void {
    this.subscriptionMap = undefined;
    this.inflightMap = undefined;
    this.incomingQos2Set = undefined;
    this.queue = [];
    this.queueHead = 0;
    this.resend = NOTHING_TO_RESEND;
    this.outstanding = 0;
  }

  /**
   * In a cluster: a message this session got. A persistent session keeps its QoS 2 ids for a
   * while wherever it goes, so a redelivery or resend of one is not delivered twice.
   */
  private remember(id: string, qos2: boolean): void {
    if (this.recent === undefined) {
      if (!qos2 || !this.persistent) return;
      this.recent = RecentIds.madeHere();
    }
    this.recent.add(id, this.context.now(), qos2);
  }

  /** Whether a message with this cluster id is still to be delivered or completed, or was lately. */
  holds(id: string): boolean {
    if (this.recent?.has(id, this.context.now())) return true;
    const first = sameMessage(id);
    for (const entry of this.pending()) {
      const held = entry.message.id;
      if (held !== undefined && sameMessage(held) === first) return true;
    }
    return false;
  }

  /** Messages still to deliver, in order: in flight first, then queued. */
  *pending(): Iterable<OutboundEntry> {
    if (this.inflightMap) yield* this.inflightMap.values();
    for (let i = this.queueHead; i < this.queue.length; i++) yield this.queue[i]!;
  }

  /** Restores state loaded from the store at start-up. */
  /** `completed`: markers of QoS 2 messages it completed lately; their numbers stay taken. */
  restore(
    record: SessionRecord,
    outbound: OutboundRecord[],
    incomingQos2: number[],
    completed: readonly CompletedMarker[] = [],
  ): void {
    this.stored = true;
    this.protocolVersion = record.protocolVersion;
    this.expiryInterval = record.expiryInterval;
    this.disconnectedAt = record.disconnectedAt ?? this.context.now();
    for (const sub of record.subscriptions) this.subscriptions.set(sub.topicFilter, sub);
    for (const id of incomingQos2) this.incomingQos2.add(id);
    for (const r of outbound) {
      const entry = fromRecord(r);
      if (entry.packetId > 0) this.inflight.set(entry.packetId, entry);
      else this.queue.push(entry);
      this.nextSeq = Math.max(this.nextSeq, r.seq + 1);
    }
    for (const marker of completed) this.nextSeq = Math.max(this.nextSeq, marker.seq + 1);
  }

  /**
   * QoS 2 messages the session completed on the node it came from: remembered here, and
   * stored as markers so that they stay known if this node dies too.
   */
  keepCompleted(ids: readonly string[]): void {
    for (const id of ids) {
      this.remember(id, true);
      if (this.persistent)
        this.context.sessionStore.deleteOutbound(this.clientId, this.nextSeq++, id);
    }
  }

  toRecord(): SessionRecord {
    return {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      disconnectedAt: this.disconnectedAt,
      subscriptions: [...(this.subscriptionMap?.values() ?? [])],
      delayedWill: this.delayedWill && {
        message: storedWill(this.delayedWill.message),
        publishAt: this.delayedWill.publishAt,
      },
      heldBy: this.heldBy,
    };
  }

  private drain(): void {
    const outlet = this.outlet;
    if (outlet === undefined) return;
    while (this.resend.length > 0 && this.outstanding < outlet.sendQuota) {
      this.resendOne(this.resend.shift()!, outlet);
    }
    if (this.resend.length > 0) return;
    while (this.queueHead < this.queue.length && this.outstanding < outlet.sendQuota) {
      const entry = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as OutboundEntry;
      if (this.expired(entry)) {
        if (this.persistent) this.context.sessionStore.deleteOutbound(this.clientId, entry.seq);
        continue;
      }
      this.send(entry, outlet, true);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Sends an in-flight message again: PUBREL after PUBREC, else the PUBLISH with DUP set. */
  private resendOne(entry: OutboundEntry, outlet: Outlet): void {
    this.outstanding++;
    if (entry.state === 'pubrel') {
      outlet.sendPubrel(entry.packetId);
      return;
    }
    // Already sent once, so Message Expiry no longer applies [MQTT-4.3.3-7] [MQTT-3.3.2-5].
    outlet.sendPublish(
      entry.message,
      entry.qos,
      entry.retain,
      entry.subscriptionIdentifiers,
      entry.packetId,
      true,
    );
  }

  /** `stored`: the entry already has a record (it was queued). */
  private send(entry: OutboundEntry, outlet: Outlet, stored: boolean): void {
    if (entry.qos === 0) {
      outlet.sendPublish(entry.message, 0, entry.retain, entry.subscriptionIdentifiers, 0, false);
      if (this.persistent) this.context.sessionStore.deleteOutbound(this.clientId, entry.seq);
      return;
    }
    entry.packetId = this.allocatePacketId();
    entry.state = 'sent';
    this.outstanding++;
    this.inflight.set(entry.packetId, entry);
    // A stored QoS 1 message needs no new record: after a restart it goes out again as a new
    // PUBLISH, which at-least-once allows. QoS 2 must keep its packet id, or the client could
    // not recognise the resend as a duplicate.
    if (this.persistent && !(stored && entry.qos === 1))
      this.context.sessionStore.saveOutbound(this.clientId, outboundRecord(entry));
    if (
      !outlet.sendPublish(
        entry.message,
        entry.qos,
        entry.retain,
        entry.subscriptionIdentifiers,
        entry.packetId,
        false,
      )
    ) {
      this.complete(entry.packetId);
    }
  }

  /** [MQTT-2.2.1-4] a packet id is free again once its flow completes; never reuse one in use. */
  private allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }

  private expired(entry: OutboundEntry): boolean {
    const at = entry.message.expiresAt;
    if (at === undefined || at > this.context.now()) return false;
    this.dropped(entry.message, 'expired');
    return true;
  }
}

/** Shared empty list: most sessions never have anything to send again. */
const NOTHING_TO_RESEND: OutboundEntry[] = [];

/** The record form of a will: no broker-only fields (origin stays, for No Local). */
function storedWill(message: Message): Message {
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    properties: message.properties,
    origin: message.origin,
  };
}

/** The stored form of a queued or in-flight message. */
export function outboundRecord(entry: OutboundEntry): OutboundRecord {
  const { message } = entry;
  return {
    seq: entry.seq,
    message: {
      topic: message.topic,
      payload: message.payload,
      qos: entry.qos,
      retain: entry.retain,
      properties: message.properties,
      expiresAt: message.expiresAt,
      id: message.id,
    },
    packetId: entry.packetId || undefined,
    state: entry.state,
    subscriptionIdentifiers: entry.subscriptionIdentifiers,
  };
}

function fromRecord(r: OutboundRecord): OutboundEntry {
  return {
    seq: r.seq,
    message: { ...r.message },
    qos: r.message.qos,
    retain: r.message.retain,
    subscriptionIdentifiers: r.subscriptionIdentifiers,
    packetId: r.packetId ?? 0,
    state: r.state,
  };
}
