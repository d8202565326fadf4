// The JSON the HTTP API sends, as types. No imports: the dashboard (a browser build) imports
// these same types, so the server and its UI cannot drift apart.

export interface Page<T> {
  items: T[];
  /** Rows matching the filter, all pages together. */
  total: number;
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ClientSummary {
  clientId: string;
  connected: boolean;
  username: string | null;
  ip: string | null;
  port: number | null;
  transport: string | null;
  protocolVersion: number;
  keepAlive: number | null;
  /** ms since the epoch. */
  connectedAt: number | null;
  disconnectedAt: number | null;
  subscriptions: number;
  inflight: number;
  queued: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ClientDetail extends ClientSummary {
  sessionExpiryInterval: number;
  subscriptionList: SubscriptionView[];
}

export interface SubscriptionView {
  clientId: string;
  topicFilter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionIdentifier: number | null;
  connected: boolean;
}

export interface JsonProperties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  /** base64 */
  correlationData?: string;
  subscriptionIdentifiers?: number[];
  userProperties?: [string, string][];
}

/** A payload as UTF-8 text when it is valid UTF-8 (else null), and always as base64. */
export interface PayloadView {
  text: string | null;
  base64: string;
  size: number;
  truncated: boolean;
}

export interface RetainedView {
  topic: string;
  qos: number;
  size: number;
  /** ms since the epoch, or null. */
  expiresAt: number | null;
  /** The first characters of a text payload (null for binary). */
  preview: string | null;
}

export interface RetainedDetail extends RetainedView {
  payload: PayloadView;
  properties: JsonProperties;
}

export interface TraceEvent {
  ts: number;
  clientId: string | null;
  username: string | null;
  topic: string;
  qos: number;
  retain: boolean;
  payload: PayloadView;
  properties: JsonProperties;
}

export type BanKind = 'clientId' | 'username' | 'ip';

export interface Ban {
  kind: BanKind;
  value: string;
  reason?: string;
  /** ms since the epoch. */
  createdAt: number;
  /** ms since the epoch; absent: never expires. */
  until?: number;
}

/** One external authentication or authorization source (PostgreSQL, Redis, LDAP, JWKS). */
export interface AuthSourceFigures {
  name: string;
  /** What a failure of the source means: refuse, or leave it to the next source. */
  onError: 'deny' | 'ignore';
  /** Decisions asked of the source, cache hits included. */
  requests: number;
  allow: number;
  deny: number;
  errors: number;
  cacheHits: number;
  /** Round trips to the source. */
  queries: number;
  latencySecondsSum: number;
  latencySecondsMax: number;
}

/** GET /api/v1/status. */
export interface Status {
  node: string;
  version: string;
  /** ms since the epoch. */
  startedAt: number;
  uptimeSeconds: number;
  listeners: { type: string; host: string; port: number; path?: string }[];
  http: { host: string; port: number };
  /** Whether this node is in a cluster: GET /api/v1/cluster/nodes answers 200, not 404. */
  cluster: boolean;
}

/** What a cluster node tells the others about itself in each heartbeat. */
export interface ClusterNodeFigures {
  connections: number;
  clients: number;
  sessions: number;
  subscriptions: number;
  /** PUBLISH packets received from its clients. */
  messagesReceived: number;
  /** PUBLISH packets sent to its clients. */
  messagesSent: number;
}

/** A node of the cluster as the node asked sees it. */
export interface ClusterNode {
  name: string;
  /** silent: no heartbeat for longer than the node timeout (it is being pinged, then reaped). */
  state: 'up' | 'silent';
  /** ms since its last heartbeat reached the node asked. */
  lastHeard: number;
  /** ms since the epoch, by its clock. */
  startedAt: number;
  /** Since startedAt, by the clock of the node asked (not the browser's). */
  uptimeSeconds: number;
  figures: ClusterNodeFigures;
}

/** GET /api/v1/cluster/nodes (404 on a single node). */
export interface ClusterNodes {
  /** The node asked. */
  node: string;
  /** Whether the node asked is linked to NATS. */
  linked: boolean;
  /** Every node known, the one asked included. */
  nodes: ClusterNode[];
}
