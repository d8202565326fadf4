// Client options, their defaults, and broker URL parsing.
import { ProtocolVersion, type QoS } from '../protocol/constants.js';
import type { Properties } from '../protocol/packets.js';
import { invalidArgument } from './errors.js';

export interface WillOptions {
  topic: string;
  payload?: string | Uint8Array;
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export interface ReconnectOptions {
  /** Delay before the first attempt, ms. */
  initialDelay?: number;
  /** Upper bound of the delay, ms. */
  maxDelay?: number;
  /** Growth factor per failed attempt. */
  factor?: number;
  /** Fraction of the delay drawn at random (0..1), so clients do not reconnect in lockstep. */
  jitter?: number;
}

export interface TlsOptions {
  /** PEM text or bytes. */
  ca?: string | Uint8Array | (string | Uint8Array)[];
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** Verify the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ClientOptions {
  /** 5 (MQTT 5.0, default), 4 (3.1.1) or 3 (3.1). */
  protocolVersion?: ProtocolVersion;
  /** Empty lets the broker assign one (5.0) or requires clean (3.1.1). */
  clientId?: string;
  /** Clean Session (3.1.1) / Clean Start (5.0); default true. */
  clean?: boolean;
  /** Seconds; 0 disables keep-alive. Default 60. */
  keepAlive?: number;
  username?: string;
  password?: string | Uint8Array;
  will?: WillOptions;
  /** CONNECT properties (5.0), e.g. sessionExpiryInterval, receiveMaximum, userProperties. */
  properties?: Properties;
  /** ms to wait for CONNACK; default 30 000. */
  connectTimeout?: number;
  /** ms to wait for PINGRESP before the connection is deemed dead; default keepAlive / 2. */
  pingTimeout?: number;
  /** Reconnect after a lost connection; false disables it. */
  reconnect?: ReconnectOptions | false;
  /** Messages kept while offline or beyond Receive Maximum; default 10 000. */
  maxQueuedMessages?: number;
  /**
   * Received messages held while no 'message' listener or `messages()` iterator exists (a
   * session's queued and retained messages arrive before `connect()` resolves); handed to the
   * first one. Beyond this many, newer ones are dropped and counted. Default 10 000.
   */
  maxHeldMessages?: number;
  /** Queue QoS 0 messages while offline (default true); false drops them. */
  queueQoS0?: boolean;
  /** Use outbound Topic Aliases when the broker allows them (5.0, default true). */
  topicAliases?: boolean;
  /** Largest packet accepted from the broker; sent as Maximum Packet Size in 5.0. */
  maximumPacketSize?: number;
  tls?: TlsOptions;
  /** WebSocket path override; default the URL's path, else "/mqtt". */
  wsPath?: string;
}

export interface ResolvedOptions {
  protocolVersion: ProtocolVersion;
  clientId: string;
  clean: boolean;
  keepAlive: number;
  connectTimeout: number;
  pingTimeout: number | undefined;
  reconnect: Required<ReconnectOptions> | false;
  maxQueuedMessages: number;
  maxHeldMessages: number;
  queueQoS0: boolean;
  topicAliases: boolean;
  maximumPacketSize: number | undefined;
  source: ClientOptions;
}

const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelay: 100,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
};

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const protocolVersion = options.protocolVersion ?? ProtocolVersion.V5;
  if (![ProtocolVersion.V31, ProtocolVersion.V311, ProtocolVersion.V5].includes(protocolVersion)) {
    throw invalidArgument(`protocolVersion must be 3, 4 or 5, not ${protocolVersion}`);
  }
  const keepAlive = options.keepAlive ?? 60;
  if (!Number.isInteger(keepAlive) || keepAlive < 0 || keepAlive > 65_535) {
    throw invalidArgument(`keepAlive must be an integer from 0 to 65535, not ${keepAlive}`);
  }
  return {
    protocolVersion,
    clientId: options.clientId ?? defaultClientId(protocolVersion),
    clean: options.clean ?? true,
    keepAlive,
    connectTimeout: options.connectTimeout ?? 30_000,
    pingTimeout: options.pingTimeout,
    reconnect: options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect },
    maxQueuedMessages: options.maxQueuedMessages ?? 10_000,
    maxHeldMessages: options.maxHeldMessages ?? 10_000,
    queueQoS0: options.queueQoS0 ?? true,
    topicAliases: options.topicAliases ?? true,
    maximumPacketSize: options.maximumPacketSize,
    source: options,
  };
}

/** Exponential backoff with jitter, so a fleet of clients does not reconnect in lockstep. */
export function reconnectDelay(policy: Required<ReconnectOptions>, attempt: number): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** attempt);
  return Math.round(base * (1 - policy.jitter * Math.random()));
}

/** 3.1 requires a 1..23 character id; later versions let the 5.0 broker assign one. */
function defaultClientId(version: ProtocolVersion): string {
  if (version === ProtocolVersion.V5) return '';
  return `culex-${Math.random().toString(36).slice(2, 12)}`;
}

export type Scheme = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface BrokerAddress {
  scheme: Scheme;
  host: string;
  port: number;
  /** WebSocket URL path, "/mqtt" by default. */
  path: string;
  username?: string;
  password?: string;
}

const DEFAULT_PORTS: Record<Scheme, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };
const SCHEME_ALIASES: Record<string, Scheme> = {
  mqtt: 'mqtt',
  tcp: 'mqtt',
  mqtts: 'mqtts',
  ssl: 'mqtts',
  tls: 'mqtts',
  ws: 'ws',
  wss: 'wss',
};

/** Parses mqtt://, mqtts://, ws:// and wss:// URLs (tcp://, ssl://, tls:// as aliases). */
export function parseBrokerUrl(url: string | URL): BrokerAddress {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw invalidArgument(`Invalid broker URL '${String(url)}'`);
  }
  const scheme = SCHEME_ALIASES[parsed.protocol.replace(/:$/, '')];
  if (!scheme) throw invalidArgument(`Unsupported URL scheme '${parsed.protocol}'`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalidArgument(`Broker URL '${parsed.href}' has no host`);
  return {
    scheme,
    host,
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORTS[scheme],
    path: parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : '/mqtt',
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}
