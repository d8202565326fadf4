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
  deleteOutbound(clientId: string, seq: number): void;
  saveIncomingQos2(clientId: string, packetId: number): void;
  deleteIncomingQos2(clientId: string, packetId: number): void;
  /** Bans outlive restarts: saving a ban of the same kind and value replaces it. */
  saveBan(ban: Ban): void;
  deleteBan(kind: BanKind, value: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface RetainedStore {
  load(): Promise<MessageRecord[]>;
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
