// The admin facade's requests and JSON views of broker state, and cursor pagination.
import type { QoS } from '../protocol/constants.js';
import type { Properties } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import type { Message } from './message.js';
import type { ClientInfo, MessageRecord, SubscriptionRecord } from './ports.js';
import type { Session } from './session.js';
import type { BrokerStats } from './stats.js';
import type {
  ClientSummary,
  JsonProperties,
  Page,
  PayloadView,
  RetainedView,
  SubscriptionView,
  TraceEvent,
} from './admin-wire.js';

export type AdminErrorKind = 'bad_request' | 'not_found' | 'conflict';

/** A refusal of the admin facade; the HTTP layer maps the kind to 400, 404 or 409. */
export class AdminError extends Error {
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface PageRequest {
  limit: number;
  cursor?: string;
  order?: 'asc' | 'desc';
}

type SortValue = string | number;

/** One row to page over: a sort value, then a unique id to break ties. */
export interface Row<T> {
  sort: SortValue;
  id: string;
  ref: T;
}

function compare(a: { sort: SortValue; id: string }, b: { sort: SortValue; id: string }): number {
  if (a.sort !== b.sort) return a.sort < b.sort ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function decodeCursor(cursor: string): { sort: SortValue; id: string } {
  try {
    const [sort, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if ((typeof sort === 'string' || typeof sort === 'number') && typeof id === 'string')
      return { sort, id };
  } catch {}
  throw new AdminError('bad_request', 'invalid cursor');
}

const encodeCursor = (row: { sort: SortValue; id: string }) =>
  Buffer.from(JSON.stringify([row.sort, row.id])).toString('base64url');

/** Sorts rows, skips to after the cursor, and maps the page's rows only. */
export function paginate<T, V>(rows: Row<T>[], request: PageRequest, view: (t: T) => V): Page<V> {
  const sign = request.order === 'desc' ? -1 : 1;
  rows.sort((a, b) => sign * compare(a, b));
  let start = 0;
  if (request.cursor !== undefined) {
    const after = decodeCursor(request.cursor);
    start = rows.findIndex((r) => sign * compare(r, after) > 0);
    if (start < 0) start = rows.length;
  }
  const slice = rows.slice(start, start + request.limit);
  const more = start + slice.length < rows.length;
  return {
    items: slice.map((r) => view(r.ref)),
    total: rows.length,
    nextCursor: more && slice.length > 0 ? encodeCursor(slice[slice.length - 1]!) : null,
  };
}

export function clientSummary(session: Session, connection: Connection | undefined): ClientSummary {
  const c = connection;
  return {
    clientId: session.clientId,
    connected: c !== undefined,
    username: c?.info?.username ?? null,
    ip: c?.transport.remoteAddress ?? null,
    port: c?.transport.remotePort ?? null,
    transport: c?.transport.transport ?? null,
    protocolVersion: c?.protocolVersion ?? session.protocolVersion,
    keepAlive: c?.keepAlive ?? null,
    connectedAt: c?.openedAt ?? null,
    disconnectedAt: session.disconnectedAt ?? null,
    subscriptions: session.subscriptions.size,
    inflight: session.inflight.size,
    queued: session.queuedCount,
    messagesIn: c?.messagesIn ?? 0,
    messagesOut: c?.messagesOut ?? 0,
    bytesIn: c?.bytesIn ?? 0,
    bytesOut: c?.bytesOut ?? 0,
  };
}

/** The message properties that mean something to an operator, as JSON. */
export function jsonProperties(p: Properties): JsonProperties {
  const out: JsonProperties = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined)
    out.correlationData = Buffer.from(p.correlationData).toString('base64');
  if (p.subscriptionIdentifiers !== undefined)
    out.subscriptionIdentifiers = p.subscriptionIdentifiers;
  if (p.userProperties !== undefined) out.userProperties = p.userProperties.map(([k, v]) => [k, v]);
  return out;
}

export function fromJsonProperties(p: JsonProperties): Properties {
  const out: Properties = {};
  if (p.payloadFormatIndicator !== undefined)
    out.payloadFormatIndicator = p.payloadFormatIndicator as 0 | 1;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined)
    out.correlationData = Buffer.from(p.correlationData, 'base64');
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The payload as UTF-8 text when it is valid UTF-8, else null; always as base64 too. */
export function payloadView(payload: Uint8Array, max = Number.POSITIVE_INFINITY): PayloadView {
  const truncated = payload.length > max;
  const bytes = truncated ? payload.subarray(0, max) : payload;
  let text: string | null = null;
  try {
    text = decoder.decode(bytes);
  } catch {
    // A cut in the middle of a character is still text.
    if (truncated) text = new TextDecoder().decode(bytes);
  }
  return { text, base64: Buffer.from(bytes).toString('base64'), size: payload.length, truncated };
}

export function retainedView(m: MessageRecord): RetainedView {
  const view = payloadView(m.payload, 120);
  return {
    topic: m.topic,
    qos: m.qos,
    size: m.payload.length,
    expiresAt: m.expiresAt ?? null,
    preview: view.text,
  };
}

export interface SessionView {
  clientId: string;
  protocolVersion: number;
  expiryInterval: number;
  disconnectedAt: number | null;
  /** ms since the epoch; null: never. */
  expiresAt: number | null;
  subscriptions: number;
  inflight: number;
  queued: number;
}

export function subscriptionView(
  session: Session,
  r: SubscriptionRecord,
  connected: boolean,
): SubscriptionView {
  return {
    clientId: session.clientId,
    topicFilter: r.topicFilter,
    qos: r.qos,
    noLocal: r.noLocal,
    retainAsPublished: r.retainAsPublished,
    retainHandling: r.retainHandling,
    subscriptionIdentifier: r.subscriptionIdentifier ?? null,
    connected,
  };
}

export function sessionView(s: Session): SessionView {
  const never = s.expiryInterval === 0xffffffff || s.disconnectedAt === undefined;
  return {
    clientId: s.clientId,
    protocolVersion: s.protocolVersion,
    expiryInterval: s.expiryInterval,
    disconnectedAt: s.disconnectedAt ?? null,
    expiresAt: never ? null : s.disconnectedAt! + s.expiryInterval * 1000,
    subscriptions: s.subscriptions.size,
    inflight: s.inflight.size,
    queued: s.queuedCount,
  };
}

export function traceEvent(
  message: Message,
  client: ClientInfo | undefined,
  now: number,
): TraceEvent {
  return {
    ts: now,
    clientId: client?.clientId ?? null,
    username: client?.username ?? null,
    topic: message.topic,
    qos: message.qos,
    retain: message.retain,
    payload: payloadView(message.payload, 16 * 1024),
    properties: jsonProperties(message.properties),
  };
}

export interface ClientFilter {
  /** Substring of the client id. */
  clientId?: string;
  username?: string;
  ip?: string;
  connected?: boolean;
}

export const CLIENT_SORTS = [
  'clientId',
  'username',
  'ip',
  'connectedAt',
  'messagesIn',
  'messagesOut',
  'bytesIn',
  'bytesOut',
  'queued',
] as const;
export type ClientSort = (typeof CLIENT_SORTS)[number];

export interface SubscriptionFilter {
  clientId?: string;
  /** Substring of the topic filter. */
  filter?: string;
  /** Only subscriptions that match this topic name. */
  topic?: string;
  qos?: number;
}

export interface SubscribeRequest {
  qos: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

export interface PublishRequest {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: JsonProperties;
}

export interface BrokerFigures {
  nodeName: string;
  version: string;
  startedAt: number;
  /** Open sockets, CONNECT or not. */
  connections: number;
  clientsConnected: number;
  sessions: number;
  subscriptions: number;
  retained: number;
  banned: number;
  /** Messages waiting in session queues, in flight, and the longest queue. */
  queued: number;
  inflight: number;
  maxQueued: number;
  stats: Readonly<BrokerStats>;
}

export interface TraceFilter {
  /** A topic filter; default '#'. */
  topic?: string;
  clientId?: string;
}
