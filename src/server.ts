// Composition: a broker with its stores, authentication and listeners, from options or config.
import type { AdminHttpOptions, AdminServer } from './admin/index.js';
import { Broker, type PublishOptions } from './broker/broker.js';
import { type BrokerHooks, type Logger, silentLogger } from './broker/hooks.js';
import { type BrokerOptions, defaultBrokerOptions } from './broker/options.js';
import type {
  Authenticator,
  Authorizer,
  ClientInfo,
  ConnectRequest,
  EnhancedAuthenticator,
  MessageRecord,
  RetainedStore,
  SessionStore,
} from './broker/ports.js';
import type { ListenerConfig, ListenerType } from './config.js';
import { RulesHost } from './rules/host.js';
import type { RulesOptions, RulesService } from './rules/service.js';
import { MemoryRetainedStore, MemorySessionStore } from './store/memory.js';
import { NatsClusterBus } from './cluster/nats-bus.js';
import type { ClusterOptions } from './cluster/options.js';
import { listenTcp, type Listening } from './transport/tcp.js';
import { listenTls, listenWss, type TlsListening } from './transport/tls.js';
import { listenWs } from './transport/ws.js';
import { listenMqttSn, type SnListening } from './gateway/gateway.js';
import { type GatewayOptions, defaultGatewayOptions } from './gateway/options.js';

export interface StoreChoice {
  sessions: SessionStore;
  retained: RetainedStore;
  close?(): Promise<void>;
}

export interface CreateBrokerOptions {
  /** Default: one TCP listener on 0.0.0.0:1883. Port 0 picks a free port. */
  listeners?: (Partial<ListenerConfig> & { type: ListenerType; port: number })[];
  broker?: Partial<BrokerOptions>;
  /** Default: in-memory stores. */
  store?: StoreChoice;
  /** Hook: decide a CONNECT. true/false, or an AuthResult for reason codes and attributes. */
  authenticate?(request: ConnectRequest): boolean | Promise<boolean>;
  authorizePublish?(
    client: ClientInfo,
    topic: string,
    message: MessageRecord,
  ): boolean | Promise<boolean>;
  authorizeSubscribe?(client: ClientInfo, topicFilter: string): boolean | Promise<boolean>;
  /** Ports, for adapters such as the password file or JWT (see src/auth). */
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  enhancedAuthenticators?: EnhancedAuthenticator[];
  hooks?: BrokerHooks;
  logger?: Logger;
  /** The operations listener (HTTP API, /metrics, dashboard); absent: none. */
  http?: AdminHttpOptions;
  /**
   * Join a cluster over NATS; retained messages then live in the cluster, not `store`, and
   * `cluster.nodeName` is the broker's `nodeName` too.
   */
  cluster?: ClusterOptions;
  /**
   * The rule engine (docs/RULES.md): rules and connectors to start with; API changes are kept
   * in `dataDir` when given. Absent: no rule engine (and no rules API).
   */
  rules?: Omit<RulesOptions, 'log'>;
}

export interface OpenListener {
  type: ListenerType;
  host: string;
  port: number;
  listening: Listening | TlsListening | SnListening;
}

export class CulexServer {
  constructor(
    readonly broker: Broker,
    readonly listeners: OpenListener[],
    private readonly store: StoreChoice,
    readonly admin?: AdminServer,
    private readonly rulesHost?: RulesHost,
  ) {}

  /** The rule engine's service, once open (see RulesHost: at start, or on first API use). */
  get rules(): RulesService | undefined {
    return this.rulesHost?.current;
  }

  /** The first listener of a type, e.g. `server.address('tcp').port`. */
  address(type: ListenerType = 'tcp'): { host: string; port: number } {
    const found = this.listeners.find((l) => l.type === type);
    if (found === undefined) throw new Error(`no ${type} listener`);
    return { host: found.host, port: found.port };
  }

  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions): number {
    return this.broker.publish(topic, payload, options);
  }

  /** Extra work for `reload()`, such as re-reading password and ACL files. */
  readonly reloaders: (() => Promise<void>)[] = [];
  /** Extra work for `close()` once the broker is closed, such as closing auth database pools. */
  readonly closers: (() => Promise<void>)[] = [];

  /** SIGHUP: re-reads TLS certificates and whatever else registered; connections stay. */
  async reload(): Promise<void> {
    for (const l of this.listeners) if ('reload' in l.listening) l.listening.reload();
    for (const reload of this.reloaders) await reload();
  }

  async close(): Promise<void> {
    await this.admin?.close();
    await this.rulesHost?.close();
    // Stop accepting first, but await the listeners only after the broker has closed the
    // open connections: a net.Server's close waits for every connection to end.
    const listenersClosed = Promise.all(this.listeners.map((l) => l.listening.close()));
    await this.broker.close();
    await listenersClosed;
    await this.store.close?.();
    for (const close of this.closers) await close();
  }
}

function hookAuthenticator(options: CreateBrokerOptions): Authenticator | undefined {
  const hook = options.authenticate;
  if (hook === undefined) return options.authenticator;
  const toResult = (ok: boolean) =>
    ok ? { ok: true as const } : { ok: false as const, reasonCode: 0x86 };
  return {
    authenticate: (request) => {
      const verdict = hook(request);
      return verdict instanceof Promise ? verdict.then(toResult) : toResult(verdict);
    },
  };
}

function hookAuthorizer(options: CreateBrokerOptions): Authorizer | undefined {
  const { authorizePublish, authorizeSubscribe } = options;
  if (authorizePublish === undefined && authorizeSubscribe === undefined) return options.authorizer;
  const inner = options.authorizer;
  return {
    authorizePublish: authorizePublish ?? ((c, t, m) => inner?.authorizePublish(c, t, m) ?? true),
    authorizeSubscribe: authorizeSubscribe ?? ((c, f) => inner?.authorizeSubscribe(c, f) ?? true),
    authorizeRead: inner?.authorizeRead?.bind(inner),
  };
}

async function openListener(
  broker: Broker,
  l: CreateBrokerOptions['listeners'] extends (infer T)[] | undefined ? T : never,
): Promise<OpenListener> {
  const host = l.host ?? '0.0.0.0';
  const tls = { cert: l.cert ?? '', key: l.key ?? '', ca: l.ca, verify: l.verify ?? 'none' };
  let listening: Listening | TlsListening | SnListening;
  if (l.type === 'mqttsn') listening = await listenMqttSn(broker, l.port, host, gatewayOptions(l));
  else if (l.type === 'tcp') listening = await listenTcp(broker, l.port, host);
  else if (l.type === 'ws')
    listening = await listenWs(broker, l.port, host, { path: l.path ?? '/mqtt' });
  else if (l.type === 'tls') listening = await listenTls(broker, l.port, host, tls);
  else listening = await listenWss(broker, l.port, host, { ...tls, path: l.path ?? '/mqtt' });
  return { type: l.type, host, port: listening.port, listening };
}

/** The MQTT-SN gateway keys a listener sets. */
function gatewayOptions(l: Partial<ListenerConfig>): Partial<GatewayOptions> {
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(defaultGatewayOptions))
    if (l[key as keyof ListenerConfig] !== undefined) options[key] = l[key as keyof ListenerConfig];
  for (const key of ['username', 'password'] as const)
    if (l[key] !== undefined) options[key] = l[key];
  return options;
}

/** Starts a broker with its listeners: the embedding API (`import { createBroker } from 'culex'`). */
export async function createBroker(options: CreateBrokerOptions = {}): Promise<CulexServer> {
  const store = options.store ?? {
    sessions: new MemorySessionStore(),
    retained: new MemoryRetainedStore(),
  };
  const log = options.logger ?? silentLogger;
  const bus = options.cluster && (await NatsClusterBus.open(options.cluster, log));
  const brokerOptions = { ...options.broker };
  // One name per node: $SYS topics, GET /status and the cluster's registry say the same.
  if (options.cluster !== undefined) brokerOptions.nodeName = options.cluster.nodeName;
  // A message the cluster cannot carry is refused at the door, not lost: 5.0 clients learn the
  // limit from CONNACK's Maximum Packet Size [MQTT-3.2.2-15].
  if (bus !== undefined)
    brokerOptions.maxPacketSize = Math.min(
      brokerOptions.maxPacketSize ?? defaultBrokerOptions.maxPacketSize,
      bus.maxMessageBytes,
    );
  const broker = new Broker(brokerOptions, {
    sessionStore: bus?.sessionStore ?? store.sessions,
    retainedStore: bus?.retainedStore ?? store.retained,
    cluster: bus,
    authenticator: hookAuthenticator(options),
    authorizer: hookAuthorizer(options),
    enhancedAuthenticators: options.enhancedAuthenticators,
    log,
    hooks: options.hooks ?? {},
  });
  if (bus !== undefined) bus.figures = () => nodeFigures(broker);
  try {
    await broker.open();
  } catch (error) {
    await bus?.close();
    throw error;
  }
  const listeners: OpenListener[] = [];
  const wanted = options.listeners ?? [{ type: 'tcp', port: 1883 }];
  let admin: AdminServer | undefined;
  const rules = options.rules && new RulesHost(broker, { ...options.rules, log });
  try {
    // Before the listeners: the first client's messages and events meet the rules.
    await rules?.start();
    for (const l of wanted) listeners.push(await openListener(broker, l));
    if (options.http) {
      const views = listeners.map(({ type, host, port }, i) => ({
        type,
        host,
        port,
        path: wanted[i]!.path,
      }));
      // Loaded only with HTTP on (fastify, prom-client): `--workers` serve it from one process.
      const { startAdmin } = await import('./admin/index.js');
      admin = await startAdmin(broker, {
        listeners: () => views,
        logger: options.logger,
        rules,
        ...options.http,
      });
    }
  } catch (error) {
    await Promise.all(listeners.map((l) => l.listening.close()));
    await rules?.close();
    await broker.close();
    throw error;
  }
  return new CulexServer(broker, listeners, store, admin, rules);
}

/** What a cluster node tells the others about itself in each heartbeat. */
function nodeFigures(broker: Broker): Record<string, number> {
  const { core } = broker;
  return {
    connections: core.connections.size,
    clients: core.clients.size,
    sessions: core.sessions.size,
    subscriptions: core.router.subscriptionCount,
    messagesReceived: core.stats.publishReceived,
    messagesSent: core.stats.publishSent,
  };
}
