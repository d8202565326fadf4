// Configuration: defaults ← YAML file ← environment (CULEX_*) ← flags. Every key is checked;
// an unknown key or a bad value stops start-up with a message naming key, value and what fits.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type BrokerOptions, brokerOptionRanges, defaultBrokerOptions } from './broker/options.js';
import { type ClusterOptions, defaultClusterOptions } from './cluster/options.js';
import { CulexError, ErrorCode } from './errors.js';
import { type ListenerConfig, type ListenerType, parseListener } from './config-listeners.js';
import { applySection, checkValue, port, type Rule } from './config-rules.js';
import { applyRulesSections, type RulesConfig } from './config-rules-engine.js';

export { checkValue, type ListenerConfig, type ListenerType };

export interface CulexConfig extends RulesConfig {
  host: string;
  port: number;
  wsPort: number;
  wsPath: string;
  listeners: ListenerConfig[];
  store: 'memory' | 'lmdb';
  dataDir: string;
  durability: 'sync' | 'periodic';
  flushIntervalMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  broker: BrokerOptions;
  auth: Record<string, unknown>;
  /** The operations listener (HTTP API, /metrics, dashboard); port 0 disables it. */
  httpPort: number;
  httpHost: string;
  http: HttpConfig;
  /** Present when this node joins a cluster (`--cluster`). */
  cluster?: ClusterOptions;
}

export interface HttpConfig {
  /** `key` in clear or `hash` (sha256:…) as written by `culex apikey create`. */
  apiKeys: { name: string; key?: string; hash?: string }[];
  /** Key file managed by `culex apikey`, re-read when it changes. */
  apiKeyFile?: string;
  /** Dashboard logins; `password` in clear or scrypt:… from `culex apikey password`. */
  users: { username: string; password: string }[];
  /** Seconds a dashboard login lasts. */
  tokenTtl: number;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const topRules: Record<string, Rule> = {
  host: { kind: 'string' },
  port,
  wsPort: port,
  wsPath: { kind: 'string' },
  store: { kind: 'enum', values: ['memory', 'lmdb'] },
  dataDir: { kind: 'string' },
  durability: { kind: 'enum', values: ['sync', 'periodic'] },
  flushIntervalMs: { kind: 'number', min: 1, max: 60_000 },
  logLevel: { kind: 'enum', values: LOG_LEVELS },
  httpPort: port,
  httpHost: { kind: 'string' },
};

/** Broker options are checked by the type of their default, plus these special cases. */
const brokerRules: Record<string, Rule> = Object.fromEntries(
  Object.entries(defaultBrokerOptions).map(([key, value]): [string, Rule] => {
    if (key === 'sharedSubscriptionStrategy')
      return [key, { kind: 'enum', values: ['round-robin', 'random', 'hash'] }];
    if (key === 'maximumQoS') return [key, { kind: 'enum', values: [0, 1, 2] }];
    if (key === 'useIdentityAsUsername')
      return [key, { kind: 'enum', values: ['none', 'cn', 'san'] }];
    if (typeof value === 'boolean') return [key, { kind: 'boolean' }];
    if (typeof value === 'string') return [key, { kind: 'string' }];
    const [min, max] = brokerOptionRanges[key as keyof BrokerOptions] ?? [0, 0xffffffff];
    return [key, { kind: 'number', min, max }];
  }),
);

export function defaultConfig(): CulexConfig {
  return {
    // This machine only until told otherwise, as Mosquitto 2 without a listener.
    host: '127.0.0.1',
    port: 1883,
    wsPort: 8083,
    wsPath: '/mqtt',
    listeners: [],
    store: 'lmdb',
    dataDir: './data',
    durability: 'sync',
    flushIntervalMs: 100,
    logLevel: 'info',
    broker: { ...defaultBrokerOptions },
    auth: {},
    httpPort: 18083,
    httpHost: '127.0.0.1',
    http: defaultHttpConfig(),
    // No cluster by default; the key is here so that error messages list it.
    cluster: undefined,
    rules: [],
    connectors: [],
  };
}

function defaultHttpConfig(): HttpConfig {
  return { apiKeys: [], users: [], tokenTtl: 900 };
}

/**
 * The keys a section accepts, for "unknown setting" messages: its value rules and the
 * sub-sections and lists its defaults hold (listeners, broker, auth, http, …), so that a
 * section added to the defaults is listed without another edit here.
 */
function allowedKeys(rules: Record<string, Rule>, defaults: object): string[] {
  return [...new Set([...Object.keys(rules), ...Object.keys(defaults)])];
}

/** Merges a parsed YAML document into the config. */
export function applyDocument(config: CulexConfig, doc: Record<string, unknown>): void {
  const { broker, listeners, auth, http, cluster, rules, connectors, ...top } = doc;
  if (cluster !== undefined) config.cluster = parseCluster(cluster, config.cluster);
  applyRulesSections(config, rules, connectors);
  const allowed = allowedKeys(topRules, config);
  applySection(config as unknown as Record<string, unknown>, top, topRules, '', false, allowed);
  if (broker !== undefined)
    applySection(
      config.broker as unknown as Record<string, unknown>,
      broker,
      brokerRules,
      'broker',
    );
  if (auth !== undefined) {
    if (auth === null || typeof auth !== 'object')
      throw new CulexError(ErrorCode.ConfigBadValue, `'auth' must be a mapping`);
    config.auth = auth as Record<string, unknown>;
  }
  if (http !== undefined) config.http = parseHttp(http);
  if (listeners !== undefined) {
    if (!Array.isArray(listeners))
      throw new CulexError(ErrorCode.ConfigBadValue, `'listeners' must be a list`);
    config.listeners = listeners.map((l, i) => parseListener(l, i));
  }
}

const httpRules: Record<string, Rule> = {
  apiKeyFile: { kind: 'string' },
  tokenTtl: { kind: 'number', min: 10, max: 7 * 86400 },
};

/** The `http` section: apiKeys [{ name, key | hash }], apiKeyFile, users [{ username, password }], tokenTtl. */
function parseHttp(value: unknown): HttpConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CulexError(ErrorCode.ConfigBadValue, `'http' must be a mapping of keys to values`);
  const http = defaultHttpConfig();
  const { apiKeys, users, ...rest } = value as Record<string, unknown>;
  const allowed = allowedKeys(httpRules, http);
  applySection(http as unknown as Record<string, unknown>, rest, httpRules, 'http', false, allowed);
  const text: Rule = { kind: 'string' };
  http.apiKeys = parseList(apiKeys, 'apiKeys', { name: text, key: text, hash: text }, (k) =>
    k.name && (k.key || k.hash) ? undefined : 'name, and key or hash',
  );
  http.users = parseList(users, 'users', { username: text, password: text }, (u) =>
    u.username && u.password !== undefined ? undefined : 'username and password',
  );
  return http;
}

function parseList<T>(
  value: unknown,
  name: string,
  rules: Record<string, Rule>,
  missing: (item: Record<string, string>) => string | undefined,
): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new CulexError(ErrorCode.ConfigBadValue, `'http.${name}' must be a list`);
  return value.map((item, i) => {
    const out: Record<string, string> = {};
    applySection(out, item, rules, `http.${name}[${i}]`);
    const needs = missing(out);
    if (needs !== undefined)
      throw new CulexError(ErrorCode.ConfigBadValue, `'http.${name}[${i}]' needs ${needs}`);
    return out as T;
  });
}

const clusterRules: Record<string, Rule> = {
  servers: { kind: 'string' },
  nodeName: { kind: 'string' },
  user: { kind: 'string' },
  password: { kind: 'string' },
  token: { kind: 'string' },
  credsFile: { kind: 'string' },
  prefix: { kind: 'string' },
  replicas: { kind: 'enum', values: [1, 3, 5] },
  heartbeatMs: { kind: 'number', min: 100, max: 60_000 },
  nodeTimeoutMs: { kind: 'number', min: 500, max: 600_000 },
  cutoffSeconds: { kind: 'number', min: 0, max: 86_400 },
  ackTimeoutMs: { kind: 'number', min: 100, max: 600_000 },
};

/** The `cluster` section; `servers` is a list or a comma-separated string of NATS URLs. */
function parseCluster(value: unknown, base: ClusterOptions | undefined): ClusterOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CulexError(ErrorCode.ConfigBadValue, `'cluster' must be a mapping of keys to values`);
  const { servers, tls, ...rest } = value as Record<string, unknown>;
  const cluster = {
    ...defaultClusterOptions,
    servers: [],
    nodeName: '',
    ...base,
  } as ClusterOptions;
  applySection(cluster as unknown as Record<string, unknown>, rest, clusterRules, 'cluster', true);
  if (servers !== undefined) cluster.servers = clusterServers(servers);
  if (tls !== undefined) {
    const tlsOptions: Record<string, unknown> = {};
    const text: Rule = { kind: 'string' };
    applySection(tlsOptions, tls, { ca: text, cert: text, key: text }, 'cluster.tls');
    cluster.tls = tlsOptions;
  }
  return cluster;
}

function clusterServers(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (
    !Array.isArray(list) ||
    list.some((s) => typeof s !== 'string' || !/^(nats|tls):\/\/\S+$/.test(s.trim()))
  )
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `invalid value ${JSON.stringify(value)} for 'cluster.servers': expected NATS URLs such as nats://127.0.0.1:4222, as a list or separated by commas`,
    );
  return list.map((s: string) => s.trim());
}

/** CULEX_CLUSTER_SERVERS, CULEX_CLUSTER_NODE_NAME … and `--cluster` / `--node-name`. */
export function applyClusterSettings(config: CulexConfig, settings: Record<string, unknown>): void {
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length > 0) config.cluster = parseCluster(given, config.cluster);
}

export function loadConfigFile(config: CulexConfig, file: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CulexError(
      ErrorCode.ConfigUnreadable,
      `cannot read configuration file ${file}: ${(error as Error).message}`,
    );
  }
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `configuration file ${file} must be a YAML mapping`,
    );
  applyDocument(config, doc as Record<string, unknown>);
}

/** CULEX_PORT=1884, CULEX_WS_PORT=0, CULEX_BROKER_MAX_KEEP_ALIVE=60 … */
export function applyEnvironment(config: CulexConfig, env: NodeJS.ProcessEnv): void {
  // maxKeepAlive → MAX_KEEP_ALIVE, maximumQoS → MAXIMUM_QOS
  const toEnv = (key: string) =>
    key
      .replace('QoS', 'Qos')
      .replace(/[A-Z]/g, (c) => `_${c}`)
      .toUpperCase();
  // Only the keys the environment sets, so that each is checked and named like a YAML key.
  const fromEnv = (rules: Record<string, Rule>, prefix: string) =>
    Object.fromEntries(
      Object.keys(rules).flatMap((key) => {
        const value = env[`${prefix}${toEnv(key)}`];
        return value === undefined ? [] : [[key, value]];
      }),
    );
  applySection(
    config as unknown as Record<string, unknown>,
    fromEnv(topRules, 'CULEX_'),
    topRules,
    '',
    true,
  );
  applyClusterSettings(config, fromEnv(clusterRules, 'CULEX_CLUSTER_'));
  const broker = fromEnv(brokerRules, 'CULEX_BROKER_');
  applySection(
    config.broker as unknown as Record<string, unknown>,
    broker,
    brokerRules,
    'broker',
    true,
  );
}

/** Flags given on the command line, already named as config keys. */
export function applyFlags(config: CulexConfig, flags: Record<string, string | undefined>): void {
  const given = Object.fromEntries(
    Object.entries(flags).filter(([, value]) => value !== undefined),
  );
  applySection(config as unknown as Record<string, unknown>, given, topRules, '', true);
}

/** The listeners to open: the explicit list, or the tcp (+ ws) pair from host/port/wsPort. */
export function effectiveListeners(config: CulexConfig): ListenerConfig[] {
  if (config.listeners.length > 0) return config.listeners;
  const out: ListenerConfig[] = [{ type: 'tcp', host: config.host, port: config.port }];
  if (config.wsPort > 0)
    out.push({ type: 'ws', host: config.host, port: config.wsPort, path: config.wsPath });
  return out;
}
