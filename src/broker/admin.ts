// The admin facade: what the HTTP API may see and do to a running broker. Reads are views
// built on demand; the few writes (kick, subscribe on behalf, publish, ban) go through the
// same paths as the protocol handlers.
import { type QoS, ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import {
  parseSharedFilter,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from '../topic/index.js';
import {
  AdminError,
  type BrokerFigures,
  type ClientFilter,
  type ClientSort,
  clientSummary,
  fromJsonProperties,
  jsonProperties,
  type PageRequest,
  type PublishRequest,
  paginate,
  payloadView,
  type Row,
  retainedView,
  type SessionView,
  type SubscribeRequest,
  type SubscriptionFilter,
  sessionView,
  subscriptionView,
  traceEvent,
  type TraceFilter,
} from './admin-views.js';
import type {
  Ban,
  BanKind,
  ClientDetail,
  ClientSummary,
  ClusterNodeFigures,
  ClusterNodes,
  Page,
  RetainedDetail,
  RetainedView,
  SubscriptionView,
  TraceEvent,
} from './admin-wire.js';
import { type BannedClients, normalizeIp } from './banned.js';
import type { Broker } from './broker.js';
import { type ClusterClient, clusterClients, kickAnywhere } from './cluster-admin.js';
import type { Connection } from './connection.js';
import { shareOf } from './core.js';
import type { Message } from './message.js';
import type { ClientInfo, SubscriptionRecord } from './ports.js';
import type { Session } from './session.js';
import { CULEX_VERSION } from './sys.js';

export * from './admin-views.js';
export type * from './admin-wire.js';

export class BrokerAdmin {
  readonly banned: BannedClients;

  constructor(readonly broker: Broker) {
    const core = broker.core;
    this.banned = core.banned;
  }

  private get core() {
    return this.broker.core;
  }

  listClients(filter: ClientFilter, sort: ClientSort, page: PageRequest): Page<ClientSummary> {
    const { sessions, clients } = this.core;
    const rows: Row<[Session, Connection | undefined]>[] = [];
    const ip = filter.ip === undefined ? undefined : normalizeIp(filter.ip);
    for (const session of sessions.values()) {
      const c = clients.get(session.clientId);
      if (filter.connected !== undefined && filter.connected !== (c !== undefined)) continue;
      if (filter.clientId && !session.clientId.includes(filter.clientId)) continue;
      if (filter.username !== undefined && c?.info?.username !== filter.username) continue;
      if (ip !== undefined && (c === undefined || normalizeIp(c.remoteAddress) !== ip)) continue;
      rows.push({
        sort: clientSortValue(sort, session, c),
        id: session.clientId,
        ref: [session, c],
      });
    }
    return paginate(rows, page, ([s, c]) => clientSummary(s, c));
  }

  clientDetail(clientId: string): ClientDetail {
    const session = this.sessionOf(clientId);
    const connection = this.core.clients.get(clientId);
    return {
      ...clientSummary(session, connection),
      sessionExpiryInterval: session.expiryInterval,
      subscriptionList: [...session.subscriptions.values()].map((r) =>
        subscriptionView(session, r, connection !== undefined),
      ),
    };
  }

  /** Disconnects a connected client (DISCONNECT 0x98 Administrative Action in 5.0). */
  kick(clientId: string): void {
    if (!this.broker.kick(clientId, ReasonCode.AdministrativeAction))
      throw new AdminError('not_found', `client '${clientId}' is not connected`);
  }

  /** kick(), on whichever node of the cluster the client is connected to. */
  async kickAnywhere(clientId: string): Promise<void> {
    const bus = this.core.cluster?.bus;
    if (bus === undefined) return this.kick(clientId);
    if (this.broker.kick(clientId, ReasonCode.AdministrativeAction)) return;
    if (!(await kickAnywhere(bus, clientId)))
      throw new AdminError('not_found', `client '${clientId}' is not connected to any node`);
  }

  /** Clients of every node of the cluster, each with its node; this node's alone otherwise. */
  async listClusterClients(
    filter: ClientFilter,
    sort: ClientSort,
    page: PageRequest,
  ): Promise<Page<ClusterClient>> {
    const bus = this.core.cluster?.bus;
    if (bus !== undefined) return clusterClients(bus, filter, sort, page);
    const local = this.listClients(filter, sort, page);
    const node = this.core.options.nodeName;
    return { ...local, items: local.items.map((item) => ({ ...item, node })) };
  }

  /** Sessions whose client is away (persistent sessions waiting for it or for expiry). */
  listSessions(filter: { clientId?: string }, page: PageRequest): Page<SessionView> {
    const rows: Row<Session>[] = [];
    for (const session of this.core.sessions.values()) {
      if (session.outlet !== undefined || this.core.clients.has(session.clientId)) continue;
      if (filter.clientId && !session.clientId.includes(filter.clientId)) continue;
      rows.push({ sort: session.clientId, id: session.clientId, ref: session });
    }
    return paginate(rows, page, sessionView);
  }

  removeSession(clientId: string): void {
    const session = this.sessionOf(clientId);
    if (this.core.clients.has(clientId))
      throw new AdminError('conflict', `client '${clientId}' is connected: kick it first`);
    this.core.endSession(session);
  }

  listSubscriptions(filter: SubscriptionFilter, page: PageRequest): Page<SubscriptionView> {
    const rows: Row<SubscriptionView>[] = [];
    const add = (session: Session) => {
      const connected = this.core.clients.has(session.clientId);
      for (const record of session.subscriptions.values()) {
        if (!subscriptionMatches(filter, record)) continue;
        const view = subscriptionView(session, record, connected);
        rows.push({
          sort: session.clientId,
          id: `${session.clientId}\u0000${record.topicFilter}`,
          ref: view,
        });
      }
    };
    if (filter.clientId !== undefined) {
      const session = this.core.sessions.get(filter.clientId);
      if (session !== undefined) add(session);
    } else for (const session of this.core.sessions.values()) add(session);
    return paginate(rows, page, (v) => v);
  }

  /** Subscribes a client's session as if it had sent SUBSCRIBE; retained messages follow. */
  subscribeFor(clientId: string, topicFilter: string, request: SubscribeRequest): SubscriptionView {
    const core = this.core;
    const session = this.sessionOf(clientId);
    const share = this.checkFilter(topicFilter);
    if (share && request.noLocal)
      throw new AdminError('bad_request', 'No Local is not allowed on a shared subscription');
    const isNew = !session.subscriptions.has(topicFilter);
    if (isNew && session.subscriptions.size >= core.options.maxSubscriptionsPerClient)
      throw new AdminError('conflict', 'the client has reached its subscription limit');
    const record: SubscriptionRecord = {
      topicFilter,
      qos: Math.min(request.qos, core.options.maximumQoS) as QoS,
      noLocal: request.noLocal ?? false,
      retainAsPublished: request.retainAsPublished ?? false,
      retainHandling: request.retainHandling ?? 0,
    };
    session.subscriptions.set(topicFilter, record);
    core.router.subscribe(
      session,
      share ? { ...record, topicFilter: share.filter } : record,
      share,
    );
    if (session.persistent) core.sessionStore.saveSession(session.toRecord());
    const wantsRetained = record.retainHandling === 0 || (record.retainHandling === 1 && isNew);
    if (share === undefined && wantsRetained) this.sendRetained(session, record);
    return subscriptionView(session, record, core.clients.has(clientId));
  }

  unsubscribeFor(clientId: string, topicFilter: string): void {
    const session = this.sessionOf(clientId);
    const record = session.subscriptions.get(topicFilter);
    if (record === undefined)
      throw new AdminError(
        'not_found',
        `client '${clientId}' has no subscription '${topicFilter}'`,
      );
    session.subscriptions.delete(topicFilter);
    const share = shareOf(record);
    this.core.router.unsubscribe(session, share ? share.filter : topicFilter, share);
    if (session.persistent) this.core.sessionStore.saveSession(session.toRecord());
  }

  listRetained(filter: string, page: PageRequest): Page<RetainedView> {
    this.checkFilter(filter, false);
    const rows = this.core.retained
      .match(filter, this.core.now())
      .map((m) => ({ sort: m.topic, id: m.topic, ref: m }));
    return paginate(rows, page, retainedView);
  }

  getRetained(topic: string): RetainedDetail {
    const message = this.core.retained.get(topic);
    if (message === undefined || (message.expiresAt ?? Infinity) <= this.core.now())
      throw new AdminError('not_found', `no retained message on '${topic}'`);
    return {
      ...retainedView(message),
      payload: payloadView(message.payload),
      properties: jsonProperties(message.properties),
    };
  }

  deleteRetained(topic: string): void {
    if (!this.core.retained.delete(topic))
      throw new AdminError('not_found', `no retained message on '${topic}'`);
  }

  /** Publishes as the broker; returns how many sessions received the message. */
  publish(request: PublishRequest): number {
    const { options } = this.core;
    const invalid = validateTopicName(request.topic, {
      maxLength: options.maxTopicLength,
      maxLevels: options.maxTopicLevels,
    });
    if (invalid !== undefined) throw new AdminError('bad_request', `topic: ${invalid.message}`);
    if (request.topic.startsWith('$SYS'))
      throw new AdminError('bad_request', 'topic: $SYS topics belong to the broker');
    if (request.qos > options.maximumQoS)
      throw new AdminError('bad_request', `qos: above the broker's maximum ${options.maximumQoS}`);
    if (request.retain && !options.retainAvailable)
      throw new AdminError('bad_request', 'retain: retained messages are disabled');
    return this.broker.publish(request.topic, request.payload, {
      qos: request.qos,
      retain: request.retain,
      properties: fromJsonProperties(request.properties ?? {}),
    });
  }

  listBans(): Ban[] {
    return this.banned.list().sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Bans, and disconnects the connected clients the ban covers. */
  ban(input: { kind: BanKind; value: string; reason?: string; until?: number }): Ban {
    const now = this.core.now();
    if (input.until !== undefined && input.until <= now)
      throw new AdminError('bad_request', 'until: must be in the future');
    const value = input.kind === 'ip' ? normalizeIp(input.value) : input.value;
    const ban: Ban = { ...input, value, createdAt: now };
    this.banned.add(ban);
    this.core.cluster?.bus.ban(ban);
    this.core.dropBanned();
    return ban;
  }

  unban(kind: BanKind, value: string): void {
    const key = kind === 'ip' ? normalizeIp(value) : value;
    if (!this.banned.remove(kind, key))
      throw new AdminError('not_found', `no ${kind} ban on '${value}'`);
    this.core.cluster?.bus.unban(kind, key);
  }

  /** Calls `listener` for every message passing through that matches; returns the stop function. */
  trace(filter: TraceFilter, listener: (event: TraceEvent) => void): () => void {
    const topic = filter.topic ?? '#';
    this.checkFilter(topic, false);
    const tap = (message: Message, client: ClientInfo | undefined) => {
      if (filter.clientId !== undefined && client?.clientId !== filter.clientId) return;
      if (!topicMatches(topic, message.topic)) return;
      listener(traceEvent(message, client, this.core.now()));
    };
    this.core.taps.add(tap);
    return () => this.core.taps.delete(tap);
  }

  /** This node's cluster: whether it is linked, and every node as its heartbeats tell. */
  cluster(): ClusterNodes | undefined {
    const bus = this.core.cluster?.bus;
    if (bus === undefined) return undefined;
    // Wall clock, as the nodes stamp startedAt (core.now() may be a test's clock).
    const now = Date.now();
    return {
      node: bus.nodeName,
      linked: bus.linked,
      nodes: bus.nodes().map((n) => ({
        ...n,
        uptimeSeconds: Math.max(0, Math.floor((now - n.startedAt) / 1000)),
        figures: clusterFigures(n.figures),
      })),
    };
  }

  /** Gauges and counters for the metrics, read at scrape time. */
  figures(): BrokerFigures {
    const core = this.core;
    let queued = 0;
    let inflight = 0;
    let maxQueued = 0;
    for (const s of core.sessions.values()) {
      const q = s.queuedCount;
      queued += q;
      inflight += s.inflight.size;
      if (q > maxQueued) maxQueued = q;
    }
    return {
      nodeName: core.options.nodeName,
      version: CULEX_VERSION,
      startedAt: core.stats.startedAt,
      connections: core.connections.size,
      clientsConnected: core.clients.size,
      sessions: core.sessions.size,
      subscriptions: core.router.subscriptionCount,
      retained: core.retained.size,
      banned: this.banned.size,
      queued,
      inflight,
      maxQueued,
      stats: core.stats,
    };
  }

  private sessionOf(clientId: string): Session {
    const session = this.core.sessions.get(clientId);
    if (session === undefined) throw new AdminError('not_found', `no client '${clientId}'`);
    return session;
  }

  private checkFilter(topicFilter: string, allowShared = true) {
    const share = parseSharedFilter(topicFilter);
    if (share instanceof MqttError)
      throw new AdminError('bad_request', `topic filter: ${share.message}`);
    if (share && !allowShared)
      throw new AdminError(
        'bad_request',
        'topic filter: shared subscriptions are not allowed here',
      );
    const { options } = this.core;
    const invalid = validateTopicFilter(share ? share.filter : topicFilter, {
      maxLength: options.maxTopicLength,
      maxLevels: options.maxTopicLevels,
    });
    if (invalid !== undefined)
      throw new AdminError('bad_request', `topic filter: ${invalid.message}`);
    return share;
  }

  private sendRetained(session: Session, record: SubscriptionRecord): void {
    const core = this.core;
    const info = core.clients.get(session.clientId)?.info;
    const mayRead = core.adapters.authorizer?.authorizeRead;
    for (const message of core.retained.match(record.topicFilter, core.now())) {
      if (info && mayRead && !mayRead.call(core.adapters.authorizer, info, message.topic)) continue;
      session.deliver(message, Math.min(message.qos, record.qos) as QoS, true);
    }
  }
}

function clientSortValue(sort: ClientSort, s: Session, c: Connection | undefined): string | number {
  switch (sort) {
    case 'clientId':
      return s.clientId;
    case 'username':
      return c?.info?.username ?? '';
    case 'ip':
      return c?.remoteAddress ?? '';
    case 'connectedAt':
      return c?.openedAt ?? 0;
    case 'queued':
      return s.queuedCount;
    default:
      return c?.[sort] ?? 0;
  }
}

function subscriptionMatches(filter: SubscriptionFilter, r: SubscriptionRecord): boolean {
  if (filter.filter !== undefined && !r.topicFilter.includes(filter.filter)) return false;
  if (filter.qos !== undefined && r.qos !== filter.qos) return false;
  if (filter.topic === undefined) return true;
  return topicMatches(shareOf(r)?.filter ?? r.topicFilter, filter.topic);
}

/**
 * The figures a node sent in its heartbeat, as the wire names them. A node's key holds none
 * until its first heartbeat (the name is claimed just before): nothing counted yet, so 0.
 */
function clusterFigures(sent: Record<string, number>): ClusterNodeFigures {
  return {
    connections: sent.connections ?? 0,
    clients: sent.clients ?? 0,
    sessions: sent.sessions ?? 0,
    subscriptions: sent.subscriptions ?? 0,
    messagesReceived: sent.messagesReceived ?? 0,
    messagesSent: sent.messagesSent ?? 0,
  };
}
