// The interfaces that adapters implement (stores, authentication, authorization, cluster,
// clock). The broker core talks to the outside world only through these.
import type { ProtocolVersion, QoS } from '../protocol/constants.js';
import type { Properties, Subscription } from '../protocol/packets.js';
import type { Ban, BanKind } from './admin-wire.js';

export type { Ban, BanKind };

/** An application message as stored: no packet id, no topic alias, no subscription ids. */
export interface MessageRecord {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: Properties;
  /** Absolute expiry in ms since the epoch, from Message Expiry Interval; none = never. */
  expiresAt?: number;
  /** In a cluster: the message's id there, so that one sent again is recognised. */
  id?: string;
}

export interface SubscriptionRecord extends Subscription {
  subscriptionIdentifier?: number;
}

/** What survives of a persistent session while its client is away. */
export interface SessionRecord {
  clientId: string;
  protocolVersion: ProtocolVersion;
  /** Seconds; 0xFFFFFFFF means the session never expires. */
  expiryInterval: number;
  /** ms since the epoch when the client went away; absent while connected. */
  disconnectedAt?: number;
  subscriptions: SubscriptionRecord[];
  /** A will waiting for its Will Delay Interval to pass. */
  delayedWill?: { message: MessageRecord; publishAt: number };
  /**
   * In a cluster, the nodes that held the session (latest last), stored with it: a session
   * taken from a dead node's stored copy still gets the redeliveries for the nodes before.
   */
  heldBy?: string[];
}

/** A message on its way to a client: queued (no packet id yet) or in flight. */
export interface OutboundRecord {
  /** Per-session sequence number; keeps the delivery order. */
  seq: number;
  message: MessageRecord;
  /** Set once the message has been sent. */
  packetId?: number;
  /** 'pubrel': QoS 2 PUBREC received, PUBREL sent, waiting for PUBCOMP. */
  state: 'queued' | 'sent' | 'pubrel';
  subscriptionIdentifiers?: number[];
}

export interface PersistedSessions {
  sessions: SessionRecord[];
  outbound: Map<string, OutboundRecord[]>;
  /** QoS 2 packet ids received (PUBREC sent) and not yet released, per client. */
  incomingQos2: Map<string, number[]>;
  /** Banned client ids, usernames and addresses (expired ones may be among them). */
  bans: Ban[];
  /** Per client, the QoS 2 messages completed lately (a cluster's store; deleteOutbound). */
  completed?: Map<string, CompletedMarker[]>;
}

/** A completed QoS 2 message, kept a while under its record's sequence number. */
export interface CompletedMarker {
  seq: number;
  id: string;
}

/**
 * Persistence of sessions. The broker keeps the live state in memory and mirrors every change
 * here (write-through); `load` is called once at start-up. Writes may be buffered: `flush`
 * resolves once everything written before it is durable, and the broker acknowledges
 * QoS 1/2 PUBLISHes of persistent sessions only after it.
 */
export interface SessionStore {
  load(): Promise<PersistedSessions>;
  saveSession(record: SessionRecord): void;
  /** Removes the session and everything stored for it. */
  deleteSession(clientId: string): void;
  saveOutbound(clientId: string, record: OutboundRecord): void;
  /**
   * `completed`: the cluster id of the QoS 2 message just completed. The cluster's store keeps
   * it a while in its place (a marker), so a session taken from its copy after this node's
   * death knows it got the message (PersistedSessions.completed); other stores ignore it.
   */
  deleteOutbound(clientId: string, seq: number, completed?: string): void;
  saveIncomingQos2(clientId: string, packetId: number): void;
  deleteIncomingQos2(clientId: string, packetId: number): void;
  /** Bans outlive restarts: saving a ban of the same kind and value replaces it. */
  saveBan(ban: Ban): void;
  deleteBan(kind: BanKind, value: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Changes to retained messages made elsewhere (another cluster node), applied in memory. */
export interface RetainedChanges {
  set(message: MessageRecord): void;
  delete(topic: string): void;
}

export interface RetainedStore {
  load(): Promise<MessageRecord[]>;
  /** A shared store (the cluster's) reports what other nodes change; called after load. */
  watch?(changes: RetainedChanges): void;
  save(message: MessageRecord): void;
  delete(topic: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Who is asking, as known after CONNECT. */
export interface ClientInfo {
  clientId: string;
  username?: string;
  remoteAddress: string;
  protocolVersion: ProtocolVersion;
  /** Facts an authenticator established (JWT claims, certificate names), usable by ACLs. */
  attributes: Record<string, unknown>;
}

export interface ConnectRequest {
  clientId: string;
  username?: string;
  password?: Uint8Array;
  protocolVersion: ProtocolVersion;
  remoteAddress: string;
  /** The TLS peer certificate's names, when the client presented one. */
  certificate?: { commonName?: string; subjectAltNames: string[] };
  /** How the client came: 'tcp', 'tls', 'ws', 'wss', or 'mqtt-sn' (behind the gateway). */
  transport?: string;
}

export type AuthResult =
  | { ok: true; username?: string; attributes?: Record<string, unknown> }
  | { ok: false; reasonCode: number; reasonString?: string };

export interface Authenticator {
  authenticate(request: ConnectRequest): AuthResult | Promise<AuthResult>;
}

/** One step of MQTT 5.0 enhanced authentication (AUTH packets, section 4.12). */
export type AuthStep =
  | { done: true; result: AuthResult; data?: Uint8Array }
  | { done: false; data: Uint8Array };

export interface EnhancedAuthenticator {
  /** The Authentication Method name, e.g. "SCRAM-SHA-256". */
  readonly method: string;
  /** Starts an exchange; `state` is handed back to `continue`. */
  start(
    request: ConnectRequest,
    data: Uint8Array | undefined,
    state: Map<string, unknown>,
  ): Promise<AuthStep>;
  continue(data: Uint8Array | undefined, state: Map<string, unknown>): Promise<AuthStep>;
}

/** Answers true to allow. A sync answer keeps the hot path fast; a promise pauses the client. */
export interface Authorizer {
  authorizePublish(
    client: ClientInfo,
    topic: string,
    message: MessageRecord,
  ): boolean | Promise<boolean>;
  /** `topicFilter` is the filter as subscribed, `$share/group/` removed. */
  authorizeSubscribe(client: ClientInfo, topicFilter: string): boolean | Promise<boolean>;
  /** Checked for every message delivered, so a wildcard never reads a denied topic. */
  authorizeRead?(client: ClientInfo, topic: string): boolean;
}

export interface Clock {
  now(): number;
}

/** A message crossing between cluster nodes: the record plus its publishing client. */
export interface ClusterMessage extends MessageRecord {
  /** Client id of the publisher, for No Local across nodes. */
  origin?: string;
}

/** A persistent session handed from the node that held it to the one its client moved to. */
export interface TransferredSession {
  record: SessionRecord;
  outbound: OutboundRecord[];
  incomingQos2: number[];
  /** Cluster ids of the QoS 2 messages it got lately (recent-ids.ts): none reaches it twice. */
  completed?: string[];
  /** Nodes that held the session before (latest last): redeliveries for them reach it. */
  heldBy?: string[];
  /**
   * Removes the copy the session came from. The new node calls it once its own copy is
   * stored: until then a node that dies holding the session only in memory loses nothing.
   */
  release?(): Promise<void> | void;
}

/** What the broker does for the cluster: the bus calls it for what other nodes send. */
export interface ClusterSink {
  /** A message published on another node: deliver to local, non-shared subscriptions. */
  route(message: ClusterMessage): void;
  /** A message the cluster gave this node for one shared group ($share/group/filter). */
  routeShared(group: string, filter: string, message: ClusterMessage): void;
  /** Another node took `clientId` over: close the local connection (0x8E). */
  takenOver(clientId: string): void;
  /** Another node's client resumes this session: give it up (and return it when wanted). */
  surrender(clientId: string, wanted: boolean): TransferredSession | undefined;
  /** A session surrendered with its stored copy kept is stored on its new node now. */
  forgetMoved(clientId: string): void;
  /** A session handed over, or taken from a lost node's store for a CONNECT: this node's now. */
  adopt(moved: TransferredSession, from: string): unknown;
  /**
   * A lost node's offline session, found by the node reaping it: this node's now (a stale
   * copy here gives way), unless its client is connecting or connected here (then false).
   */
  adoptOrphan(moved: TransferredSession, from: string): boolean;
  /**
   * Messages that may have missed the sessions `from` held: deliver to those, here now or
   * arriving later. `sentAt`: when the redelivery went out (ms since the epoch).
   */
  redeliver(from: string, messages: ClusterMessage[], sentAt: number): void;
  /** The will of a client whose node died, due now: publish it. */
  publishWill(message: ClusterMessage): void;
  /** The link to the cluster went down (false) or came back (true). */
  linkChanged(up: boolean): void;
  /** Resolves once this node's store holds everything routed so far. */
  stored(): Promise<void>;
  /** A ban made (`ban`) or lifted (undefined) on some node, this one included. */
  banChanged(kind: BanKind, value: string, ban: Ban | undefined): void;
}

/** A cluster node as the others see it. */
export interface ClusterNodeState {
  name: string;
  state: 'up' | 'silent';
  /** ms since its last heartbeat arrived. */
  lastHeard: number;
  startedAt: number;
  figures: Record<string, number>;
}

/**
 * Many nodes acting as one broker (src/cluster). The broker tells the bus what it accepts and
 * what its subscribers want; the bus carries it to the other nodes and calls the sink back.
 */
export interface ClusterBus {
  readonly nodeName: string;
  start(sink: ClusterSink): Promise<void>;
  /**
   * A message accepted on this node, for the other nodes' subscribers and shared groups.
   * True when other nodes hold persistent sessions it may reach: with durability sync, its
   * acknowledgement then waits for flush().
   */
  forward(message: ClusterMessage): boolean;
  /** Resolves once the other nodes have stored every such message forwarded so far. */
  flush(): Promise<void>;
  /** A local subscription with this filter was added (+1) or removed (-1); `durable`: of a
   * persistent session. */
  interest(filter: string, delta: 1 | -1, durable: boolean): void;
  /** A local shared group on this filter gained its first member (+1) or lost its last (-1). */
  sharedInterest(group: string, filter: string, delta: 1 | -1): void;
  /**
   * Makes this node the one owner of `clientId` in the cluster, before CONNACK. Resolves with
   * the session another node held for it (when `resume` and there was one); `lost()` tells,
   * when asked, whether a CONNECT with the same id on another node has claimed it since.
   */
  claim(
    clientId: string,
    resume: boolean,
  ): Promise<{ session: TransferredSession | undefined; from?: string; lost(): boolean }>;
  /** The client's last connection here ended and it keeps no session: forget the claim. */
  release(clientId: string): void;
  /** Keeps the will in the cluster before CONNACK, so a surviving node sends it if this one dies. */
  keepWill(clientId: string, will: ClusterMessage, delay: number): Promise<void>;
  /** The will was sent, or is not due any more. */
  dropWill(clientId: string): void;
  /** Whether the link to the cluster is up. */
  readonly linked: boolean;
  /** Seconds a node cut off from the cluster keeps its clients before it disconnects them. */
  readonly cutoffSeconds: number;
  /** The nodes of the cluster, this one included. */
  nodes(): ClusterNodeState[];
  /** Asks another node's HTTP API part (cluster-admin.ts); JSON in and out. */
  ask(node: string, request: object): Promise<unknown>;
  /** Answers what other nodes ask. */
  serve(handler: (request: never) => unknown): void;
  /** Bans are the cluster's: every node applies them (ClusterSink.banChanged). */
  ban(ban: Ban): void;
  unban(kind: BanKind, value: string): void;
  close(): Promise<void>;
}
