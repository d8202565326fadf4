// Broker settings with their defaults. Everything a client could grow has a bound here.
import type { QoS } from '../protocol/constants.js';
import { defaultLimitOptions, type LimitOptions } from './limits.js';

export type SharedStrategy = 'round-robin' | 'random' | 'hash';

export interface BrokerOptions extends LimitOptions {
  /** Name of this node, used in $SYS topics. */
  nodeName: string;
  /** Seconds a socket may stay open before its CONNECT arrives. */
  connectTimeout: number;
  /** Largest keep-alive accepted; longer requests get Server Keep Alive (5.0) or refusal. */
  maxKeepAlive: number;
  /** Largest packet accepted from clients, bytes (fixed header included). */
  maxPacketSize: number;
  /** QoS 1/2 messages in flight towards one client when it sets no Receive Maximum. */
  maxInflightMessages: number;
  /** Our Receive Maximum: QoS 1/2 PUBLISHes a client may have unacknowledged towards us. */
  receiveMaximum: number;
  /** Messages queued per session beyond those in flight; more are dropped (newest first). */
  maxQueuedMessages: number;
  /** Queue QoS 0 messages for offline persistent sessions too (Mosquitto's queue_qos0_messages). */
  queueQos0Offline: boolean;
  /** Bytes waiting in a socket's send buffer above which QoS 0 messages to it are dropped. */
  maxSocketBacklogBytes: number;
  /** Topic Alias Maximum we announce in CONNACK (5.0). */
  topicAliasMaximum: number;
  /** Largest Session Expiry Interval granted, seconds. */
  maxSessionExpiryInterval: number;
  /** Session expiry for 3.1/3.1.1 persistent sessions, seconds (0xFFFFFFFF: never). */
  persistentSessionExpiry: number;
  maximumQoS: QoS;
  retainAvailable: boolean;
  /** Retained messages kept at most; further new topics are refused. */
  maxRetainedMessages: number;
  sharedSubscriptionStrategy: SharedStrategy;
  /** Seconds between $SYS statistics; 0 disables them. */
  sysInterval: number;
  maxTopicLength: number;
  maxTopicLevels: number;
  maxSubscriptionsPerClient: number;
  /** Longest client identifier accepted, characters. */
  maxClientIdLength: number;
  /**
   * A verified TLS client certificate authenticates the client, its CN or first SAN becoming
   * the user name for ACLs (Mosquitto's use_identity_as_username); 'none' leaves it to the
   * authenticators.
   */
  useIdentityAsUsername: 'none' | 'cn' | 'san';
  /** durability: sync — PUBACK/PUBREC only once the store has made the message durable. */
  acknowledgeAfterFlush: boolean;
  /** Log each client connect and disconnect at info; false logs them at debug only. */
  logConnections: boolean;
}

export const defaultBrokerOptions: BrokerOptions = {
  ...defaultLimitOptions,
  nodeName: 'culex',
  connectTimeout: 10,
  maxKeepAlive: 65535,
  maxPacketSize: 16 * 1024 * 1024,
  maxInflightMessages: 100,
  receiveMaximum: 1024,
  maxQueuedMessages: 100_000,
  queueQos0Offline: false,
  maxSocketBacklogBytes: 8 * 1024 * 1024,
  topicAliasMaximum: 1024,
  maxSessionExpiryInterval: 0xffffffff,
  persistentSessionExpiry: 0xffffffff,
  maximumQoS: 2,
  retainAvailable: true,
  maxRetainedMessages: 1_000_000,
  sharedSubscriptionStrategy: 'round-robin',
  sysInterval: 10,
  maxTopicLength: 65535,
  maxTopicLevels: 128,
  maxSubscriptionsPerClient: 10_000,
  maxClientIdLength: 65535,
  acknowledgeAfterFlush: false,
  useIdentityAsUsername: 'none',
  logConnections: true,
};

/**
 * Integer options with a narrower range than 0..0xFFFFFFFF (the configuration checks them):
 * values the protocol carries as Two Byte Integers, a Receive Maximum of 0 (a Protocol Error
 * in 5.0), and packets no larger than a Remaining Length of 268,435,455 allows.
 */
export const brokerOptionRanges: Partial<Record<keyof BrokerOptions, [number, number]>> = {
  maxKeepAlive: [0, 65_535],
  receiveMaximum: [1, 65_535],
  maxInflightMessages: [1, 65_535],
  topicAliasMaximum: [0, 65_535],
  maxTopicLength: [1, 65_535],
  maxClientIdLength: [1, 65_535],
  maxPacketSize: [20, 268_435_460],
};
