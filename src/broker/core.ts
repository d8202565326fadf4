// The broker's shared state and the operations handlers call: sessions, routing, retained
// messages, wills, output batching and the periodic sweep (keep-alive, expiry).
import { BannedClients } from './banned.js';
import { PacketType, ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { NO_PROPERTIES, type Packet } from '../protocol/packets.js';
import { parseSharedFilter } from '../topic/index.js';
import type { Connection } from './connection.js';
import {
  type AckSink,
  countingRetainedStore,
  countingSessionStore,
  DurabilityGate,
} from './durability.js';
import { BrokerEvents, type BrokerHooks, type Logger } from './hooks.js';
import type { Message } from './message.js';
import type { BrokerOptions } from './options.js';
import type {
  Authenticator,
  Authorizer,
  ClientInfo,
  ClusterBus,
  CompletedMarker,
  EnhancedAuthenticator,
  OutboundRecord,
  RetainedStore,
  SessionRecord,
  SessionStore,
} from './ports.js';
import { ClusterNode } from './cluster-node.js';
import { RecentIds } from './recent-ids.js';
import { SuccessConnacks } from './connack.js';
import { Admission } from './limits.js';
import { RetainedMessages } from './retained.js';
import { Router } from './router.js';
import { Session } from './session.js';
import { BrokerStats } from './stats.js';
import { WillScheduler } from './will.js';

export interface CoreAdapters {
  sessionStore: SessionStore;
  retainedStore: RetainedStore;
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  enhancedAuthenticators?: EnhancedAuthenticator[];
  log: Logger;
  hooks: BrokerHooks;
  now?: () => number;
  /** Present when this broker is one node of a cluster. */
  cluster?: ClusterBus;
}

export class BrokerCore {
  readonly stats = new BrokerStats();
  readonly sessions = new Map<string, Session>();
  /** Connected clients by client id (CONNACK sent). */
  readonly clients = new Map<string, Connection>();
  readonly connections = new Set<Connection>();
  readonly router: Router;
  readonly retained: RetainedMessages;
  readonly wills: WillScheduler;
  readonly log: Logger;
  readonly hooks: BrokerHooks;
  /** What the rule engine listens to; each slot is set only while a rule needs it. */
  readonly events = new BrokerEvents();
  readonly now: () => number;
  /** Present with acknowledgeAfterFlush: holds acknowledgements until the store is durable. */
  readonly gate: DurabilityGate | undefined;
  private readonly sessionStoreInUse: SessionStore;
  /** Set by the $SYS publisher. */
  sysEvents:
    | { connected(info: ClientInfo): void; disconnected(info: ClientInfo, reason: string): void }
    | undefined;
  /** Refused at CONNECT; changed by the admin facade, kept in the session store. */
  readonly banned: BannedClients;
  readonly admission: Admission;
  readonly connacks: SuccessConnacks;
  /** This broker's part in a cluster; undefined for a single node. */
  readonly cluster: ClusterNode | undefined;
  /** Observers of every routed message (the admin trace); called synchronously. */
  readonly taps = new Set<(message: Message, client: ClientInfo | undefined) => void>();
  private dirty: Connection[] = [];
  private flushScheduled = false;
  private readonly flushAll = () => this.flushDirty();

  constructor(
    readonly options: BrokerOptions,
    readonly adapters: CoreAdapters,
  ) {
    this.log = adapters.log;
    this.hooks = adapters.hooks;
    this.now = adapters.now ?? Date.now;
    const authorizer = adapters.authorizer;
    this.router = new Router({
      strategy: options.sharedSubscriptionStrategy,
      mayRead: authorizer?.authorizeRead
        ? (session, topic) => this.mayRead(session, topic)
        : undefined,
      cluster: adapters.cluster,
    });
    this.cluster = adapters.cluster && new ClusterNode(this, adapters.cluster);
    let { sessionStore, retainedStore } = adapters;
    if (options.acknowledgeAfterFlush) {
      this.gate = new DurabilityGate(
        sessionStore,
        retainedStore,
        (error, waiting) => this.storeFailed(error, waiting),
        adapters.cluster,
      );
      sessionStore = countingSessionStore(sessionStore, this.gate);
      retainedStore = countingRetainedStore(retainedStore, this.gate);
    }
    this.sessionStoreInUse = sessionStore;
    this.banned = new BannedClients(this.now, sessionStore);
    this.retained = new RetainedMessages(retainedStore, options.maxRetainedMessages);
    this.wills = new WillScheduler(this);
    this.admission = new Admission(options, this.now());
    this.connacks = new SuccessConnacks(options);
  }

  get sessionStore(): SessionStore {
    return this.sessionStoreInUse;
  }

  /** Store writes so far; compare before and after routing to see if a message was stored. */
  get storeWrites(): number {
    return this.gate?.writes ?? 0;
  }

  /**
   * Sends PUBACK / PUBREC: after the store flush when routing wrote to the store and
   * durability is sync, else at once (still behind acknowledgements waiting for a flush).
   * `lastWrite` is made once the rest is durable, and the packet waits for it too.
   */
  acknowledge(
    connection: Connection,
    packet: Packet,
    writesBefore: number,
    lastWrite?: () => void,
  ): void {
    const gate = this.gate;
    if (gate === undefined) {
      lastWrite?.();
      connection.send(packet);
    } else if (gate.writes !== writesBefore) gate.sendAfterFlush(connection, packet, lastWrite);
    else gate.send(connection, packet, lastWrite);
  }

  /**
   * A store that cannot write cannot keep our promise: stop accepting rather than lie. When
   * other cluster nodes could not confirm, only the publishers waiting for them are closed:
   * they send again after reconnecting [MQTT-4.4.0-1].
   */
  private storeFailed(error: unknown, waiting: Map<AckSink, Packet[]>): void {
    if (error instanceof Error && error.name === 'ClusterAckTimeout') {
      this.log.error(
        { err: error.message, connections: waiting.size },
        'closing the publishers waiting for it',
      );
      for (const [sink, packets] of waiting) this.unacknowledged(sink as Connection, packets);
      return;
    }
    this.log.error({ err: error }, 'store flush failed; closing all connections');
    for (const connection of this.connections) connection.close();
  }

  /**
   * The acknowledgements will never go: close the publisher so that it sends again, and forget
   * the QoS 2 ids of the PUBRECs it never got, so that the resent PUBLISH is routed again
   * rather than taken for a duplicate (better twice to some than never to others).
   */
  private unacknowledged(connection: Connection, packets: Packet[]): void {
    const session = connection.session;
    for (const packet of packets) {
      if (packet.type !== PacketType.Pubrec || session === undefined) continue;
      session.incomingQos2.delete(packet.packetId);
      if (session.persistent)
        this.sessionStore.deleteIncomingQos2(session.clientId, packet.packetId);
    }
    connection.close();
  }

  /** Rebuilds persistent sessions and their subscriptions from the store. */
  async restoreSessions(): Promise<void> {
    const persisted = await this.sessionStore.load();
    this.banned.restore(persisted.bans);
    for (const record of persisted.sessions) {
      this.restoreSession(
        record,
        persisted.outbound.get(record.clientId) ?? [],
        persisted.incomingQos2.get(record.clientId) ?? [],
        persisted.completed?.get(record.clientId),
      );
    }
  }

  /** A persistent session from its records: subscriptions back in the router, will scheduled. */
  restoreSession(
    record: SessionRecord,
    outbound: OutboundRecord[],
    incomingQos2: number[],
    completed: readonly CompletedMarker[] = [],
  ): Session {
    const session = this.newSession(record.clientId);
    session.restore(record, outbound, incomingQos2, completed);
    // In a cluster a restored session was this node's in its previous run (adopt() says more);
    // for a while it recognises redeliveries of what it brought and what it gets.
    if (this.cluster !== undefined) {
      const before = (record.heldBy ?? []).filter((node) => node !== this.options.nodeName);
      session.heldBy = [...before, this.options.nodeName];
      session.recent = new RecentIds(
        this.now(),
        outbound.map((o) => o.message.id),
        completed.map((marker) => marker.id),
      );
    }
    for (const sub of session.subscriptions.values()) {
      const share = shareOf(sub);
      this.router.subscribe(session, share ? { ...sub, topicFilter: share.filter } : sub, share);
    }
    if (record.delayedWill) this.wills.restore(session, record.delayedWill);
    return session;
  }

  /** Routes a message accepted from a client or the API; returns how many sessions got it. */
  publish(message: Message, client?: ClientInfo): number {
    this.stats.publishReceived++;
    this.stats.publishReceivedByQos[message.qos]++;
    this.stats.payloadBytesReceivedByQos[message.qos] += message.payload.length;
    if (this.taps.size > 0) for (const tap of this.taps) tap(message, client);
    if (message.retain && !this.retained.set(message))
      this.log.warn({ topic: message.topic }, 'retained message limit reached');
    this.hooks.onMessage?.(message, client);
    // One id everywhere, this node's sessions included: a redelivery is recognised by it.
    if (this.cluster !== undefined && message.qos > 0) message.id ??= this.cluster.newId();
    const delivered =
      this.cluster !== undefined ? this.cluster.routeHere(message) : this.router.route(message);
    // Other nodes' persistent sessions count as store writes: the acknowledgement waits for them.
    if (this.cluster?.bus.forward(message) && this.gate !== undefined) this.gate.writes++;
    // Rules see a message once in the cluster: here, on the node that received it (remote
    // messages reach the router through ClusterNode, never this method). After routing, so
    // that what a rule republishes reaches subscribers after the message it came from.
    const events = this.events;
    if (events.messagePublish !== undefined) events.messagePublish(message, client);
    // In a cluster other nodes may have taken it: only a single node knows it was dropped.
    if (delivered === 0 && this.cluster === undefined && events.messageDropped !== undefined)
      events.messageDropped(message, client, 'no_subscribers');
    return delivered;
  }

  /** Disconnects the connected clients a ban now covers (0x98 Administrative action). */
  dropBanned(): void {
    for (const c of [...this.clients.values()]) {
      if (this.banned.isBanned(c.clientId, c.info?.username, c.remoteAddress))
        this.disconnect(c, ReasonCode.AdministrativeAction);
    }
  }

  newSession(clientId: string): Session {
    // The core is every session's context: no object per session for it.
    const session = new Session(clientId, this);
    this.sessions.set(clientId, session);
    return session;
  }

  /** Mirrors a persistent session's record (subscriptions, expiry) to the store. */
  persistSession(session: Session): void {
    if (!session.persistent) return;
    session.stored = true;
    this.sessionStore.saveSession(session.toRecord());
  }

  /** Ends a session: its subscriptions leave the router and the store forgets it (unless kept). */
  endSession(session: Session, keepStored = false): void {
    if (this.sessions.get(session.clientId) !== session) return;
    this.sessions.delete(session.clientId);
    this.unsubscribeAll(session);
    // A session whose expiry dropped to 0 at DISCONNECT was stored before: forget it too.
    if ((session.persistent || session.stored) && !keepStored)
      this.sessionStore.deleteSession(session.clientId);
    this.wills.sessionEnded(session.clientId);
  }

  /** The session is over for good: also in the cluster, which then forgets its client. */
  forgetSession(session: Session): void {
    this.endSession(session);
    this.cluster?.bus.release(session.clientId);
  }

  unsubscribeAll(session: Session): void {
    for (const record of session.subscriptions.values()) {
      this.router.unsubscribe(session, record.topicFilter, shareOf(record));
    }
    session.subscriptions.clear();
  }

  scheduleFlush(connection: Connection): void {
    this.dirty.push(connection);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private flushDirty(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  }

  /** Called once per connection when it closes, whatever the cause. */
  connectionClosed(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    this.admission.closed(connection.remoteAddress);
    const wasConnected = connection.state === 'connected';
    connection.markClosed();
    if (!wasConnected) return;
    const session = connection.session!;
    if (this.clients.get(connection.clientId) === connection)
      this.clients.delete(connection.clientId);
    this.wills.connectionClosed(connection, session);
    session.detach(this.now());
    // A session handed to another node meanwhile is no longer this node's to keep or end.
    const ours = this.sessions.get(session.clientId) === session;
    if (ours && !session.persistent) {
      this.redistributeShared(session);
      this.forgetSession(session);
    } else if (ours) {
      this.persistSession(session);
    }
    const reason = connection.disconnectReason === undefined ? 'error' : 'normal';
    this.logConnection(connection, 'client disconnected', { reason: closeReasonOf(connection) });
    this.hooks.onClientDisconnected?.(connection.info!, reason);
    if (this.events.clientDisconnected !== undefined) this.events.clientDisconnected(connection);
    this.sysEvents?.disconnected(connection.info!, reason);
  }

  /** A member of a shared group left for good: its unfinished QoS 1/2 messages go to another member. */
  private redistributeShared(session: Session): void {
    if (session.inflightCount === 0 && session.queuedCount === 0) return;
    const groups = this.router.sharedGroupsOf(session);
    if (groups.length === 0) return;
    for (const entry of session.pending()) {
      // [MQTT-4.8.2-5] a QoS 2 message already sent to this member is never sent to another.
      if (entry.qos === 2 && entry.state !== 'queued') continue;
      for (const group of groups) {
        const member = group.pick(this.options.sharedSubscriptionStrategy, entry.message);
        if (member === undefined || member.session === session) continue;
        member.session.deliver(
          entry.message,
          entry.qos,
          entry.retain,
          member.subscriptionIdentifiers,
        );
        break;
      }
    }
  }

  /** Disconnects a client from the server side (takeover, admin kick, shutdown). */
  disconnect(connection: Connection, reasonCode: number): void {
    connection.closeReason ??=
      SERVER_DISCONNECTS[reasonCode] ?? `server DISCONNECT ${hex(reasonCode)}`;
    if (connection.protocolVersion === 5 && connection.state === 'connected') {
      connection.send({ type: PacketType.Disconnect, reasonCode, properties: NO_PROPERTIES });
    }
    connection.close();
  }

  /** Connect and disconnect lines: at info, or debug with logConnections: false. */
  logConnection(connection: Connection, message: string, extra: object): void {
    const line = {
      clientId: connection.clientId,
      remoteAddress: connection.remoteAddress,
      protocolVersion: connection.protocolVersion,
      username: connection.info?.username,
      ...extra,
    };
    if (this.options.logConnections) this.log.info(line, message);
    else this.log.debug(line, message);
  }

  /** Once a second: keep-alive [MQTT-3.1.2-24], connect timeout, session and will expiry. */
  sweep(): void {
    const now = this.now();
    const connectDeadline = now - this.options.connectTimeout * 1000;
    for (const connection of this.connections) {
      if (connection.state === 'awaiting-connect' || connection.state === 'authenticating') {
        if (connection.openedAt < connectDeadline) connection.close();
      } else if (
        connection.keepAlive > 0 &&
        now - connection.lastActivity > connection.keepAlive * 1500
      ) {
        this.disconnect(connection, ReasonCode.KeepAliveTimeout);
      }
    }
    for (const session of this.sessions.values()) {
      if (session.outlet !== undefined || session.disconnectedAt === undefined) continue;
      if (
        session.expiryInterval !== 0xffffffff &&
        now - session.disconnectedAt >= session.expiryInterval * 1000
      ) {
        this.forgetSession(session);
      }
    }
    this.wills.sweep(now);
    this.admission.sweep(now);
  }

  private mayRead(session: Session, topic: string): boolean {
    const connection = this.clients.get(session.clientId);
    const info = connection?.info;
    if (info === undefined) return true;
    return this.adapters.authorizer!.authorizeRead!(info, topic);
  }
}

/** The `$share/` or `$queue/` part of a stored subscription, if any. */
export function shareOf(record: {
  topicFilter: string;
}): { group: string; filter: string } | undefined {
  const share = parseSharedFilter(record.topicFilter);
  return share instanceof MqttError ? undefined : share;
}

const hex = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;

/** Why the server sent DISCONNECT, in words, for the log. */
const SERVER_DISCONNECTS: Record<number, string> = {
  [ReasonCode.SessionTakenOver]: 'session taken over',
  [ReasonCode.KeepAliveTimeout]: 'keep alive timeout',
  [ReasonCode.AdministrativeAction]: 'disconnected by an administrator',
  [ReasonCode.ServerShuttingDown]: 'server shutting down',
};

function closeReasonOf(connection: Connection): string {
  const code = connection.disconnectReason;
  if (code !== undefined) return `client DISCONNECT ${hex(code)}`;
  return connection.closeReason ?? 'connection lost';
}
