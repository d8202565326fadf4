// What `culex start` runs: the broker from config file, environment and flags, with logs, a
// banner and graceful shutdown. Loaded only by `culex start` (it pulls in the whole broker,
// LMDB, the HTTP server and auth), so the other commands start quickly.
import { stringify } from 'yaml';
import { redact } from '../admin/api-system.js';
import { pino } from 'pino';
import { hostname } from 'node:os';
import {
  applyClusterSettings,
  applyEnvironment,
  applyFlags,
  type CulexConfig,
  defaultConfig,
  effectiveListeners,
  loadConfigFile,
} from '../config.js';
import { type Auth, AuthConfigError, createAuth } from '../auth/index.js';
import { CulexError, ErrorCode, settingFileError } from '../errors.js';
import { startBanner } from './start-banner.js';
import { checkListenerFiles } from './start-checks.js';
import type { Logger } from 'pino';
import {
  createBroker,
  type CreateBrokerOptions,
  type CulexServer,
  type StoreChoice,
} from '../server.js';
import { join } from 'node:path';
import { MemoryRetainedStore, MemorySessionStore } from '../store/memory.js';

export interface StartFlags {
  config?: string;
  host?: string;
  port?: string;
  wsPort?: string;
  store?: string;
  dataDir?: string;
  durability?: string;
  logLevel?: string;
  httpPort?: string;
  httpHost?: string;
  cluster?: string;
  nodeName?: string;
}

/** `localNats`: cluster servers may be missing, `--workers` runs its own nats-server. */
export function buildConfig(
  flags: StartFlags,
  env: NodeJS.ProcessEnv,
  localNats = false,
): CulexConfig {
  const config = defaultConfig();
  const file = flags.config ?? env.CULEX_CONFIG;
  if (file) loadConfigFile(config, file);
  applyEnvironment(config, env);
  const { config: _file, cluster, nodeName, ...rest } = flags;
  applyFlags(config, rest as Record<string, string | undefined>);
  applyClusterSettings(config, { servers: cluster, nodeName });
  if (config.cluster !== undefined) nameClusterNode(config, localNats);
  return config;
}

/** A node's name: `cluster.nodeName`, else `broker.nodeName` if set, else the host name. */
function nameClusterNode(config: CulexConfig, localNats: boolean): void {
  const cluster = config.cluster!;
  if (cluster.servers.length === 0 && !localNats)
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `'cluster' needs 'servers' (--cluster nats://host:4222,...)`,
    );
  if (cluster.nodeName === '')
    cluster.nodeName =
      config.broker.nodeName !== defaultConfig().broker.nodeName
        ? config.broker.nodeName
        : hostname();
  config.broker.nodeName = cluster.nodeName;
}

async function openStore(config: CulexConfig): Promise<StoreChoice> {
  if (config.store === 'memory')
    return { sessions: new MemorySessionStore(), retained: new MemoryRetainedStore() };
  try {
    // Loaded only when used (its write buffer alone is 16 MB of address space per process).
    const { openLmdbStores } = await import('../store/lmdb.js');
    return await openLmdbStores({
      dataDir: config.dataDir,
      durability: config.durability,
      flushIntervalMs: config.flushIntervalMs,
    });
  } catch (error) {
    throw new CulexError(ErrorCode.DataDirectory, (error as Error).message);
  }
}

/** Authentication and ACLs from the `auth` section; nothing configured leaves the hot path bare. */
async function openAuth(config: CulexConfig, log: Logger): Promise<Auth | undefined> {
  if (Object.keys(config.auth).length === 0) return undefined;
  try {
    return await createAuth(config.auth, { log: (denial) => log.info(denial, 'access denied') });
  } catch (error) {
    if (!(error instanceof AuthConfigError)) throw error;
    // A file the section names (passwordFile, aclFile, …) that is missing or malformed.
    const cause = error.cause as (Error & { path?: string }) | undefined;
    if (cause) throw settingFileError(error.path, cause.path ?? '', cause);
    throw new CulexError(ErrorCode.ConfigBadValue, error.message);
  }
}

/** `culex start --print-config`: defaults, file, environment and flags merged, as YAML. */
export function printableConfig(config: CulexConfig): string {
  return stringify(redact(config));
}

export async function startServer(
  config: CulexConfig,
  { banner = true }: { banner?: boolean } = {},
): Promise<CulexServer> {
  const log = pino({ level: config.logLevel, base: { node: config.broker.nodeName } });
  const listeners = effectiveListeners(config);
  checkListenerFiles(listeners);
  const auth = await openAuth(config, log);
  const store = await openStore(config);
  let server: CulexServer;
  try {
    // durability: sync means no PUBACK/PUBREC before the message is on disk.
    const acknowledgeAfterFlush = config.store === 'lmdb' && config.durability === 'sync';
    server = await createBroker({
      listeners,
      broker: { ...config.broker, acknowledgeAfterFlush },
      store,
      logger: log,
      authenticator: auth?.authenticator,
      authorizer: auth && auth.authorizer.size > 0 ? auth.authorizer : undefined,
      enhancedAuthenticators: auth ? [...auth.enhanced.values()] : undefined,
      http: withAuthSources(httpOptions(config), auth),
      // --store memory keeps nothing durable, sessions included; otherwise they live in the cluster.
      // API-made rules and connectors are kept only where the rest is durable.
      rules: {
        rules: config.rules,
        connectors: config.connectors,
        dataDir: config.store === 'lmdb' ? config.dataDir : undefined,
      },
      cluster: config.cluster && {
        ...config.cluster,
        sessions: config.store === 'memory' ? 'local' : 'cluster',
      },
    });
  } catch (error) {
    await store.close?.();
    await auth?.close();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
      throw new CulexError(ErrorCode.ListenFailed, `cannot listen: ${e.message}`);
    if (e.name === 'NodeNameTaken') throw new CulexError(ErrorCode.ClusterNodeNameTaken, e.message);
    if (
      config.cluster &&
      /CONNECTION_REFUSED|connection refused|ECONNREFUSED|TIMEOUT/i.test(`${e.code} ${e.message}`)
    )
      throw new CulexError(
        ErrorCode.ClusterUnavailable,
        `cannot join the cluster at ${config.cluster.servers.join(',')}: ${e.message}`,
      );
    throw error;
  }
  if (auth) {
    server.reloaders.push(() => auth.reload());
    server.closers.push(() => auth.close());
  }
  log.info(
    {
      listeners: server.listeners.map(({ type, host, port }) => ({ type, host, port })),
      store: config.store,
    },
    'culex started',
  );
  if (banner) process.stderr.write(startBanner(config, server.listeners, listeners, server.admin));
  return server;
}

function withAuthSources(http: CreateBrokerOptions['http'], auth: Auth | undefined) {
  return http && auth ? { ...http, authSources: auth.sources } : http;
}

/** The operations listener's options; undefined when httpPort is 0. */
export function httpOptions(config: CulexConfig): CreateBrokerOptions['http'] {
  if (config.httpPort === 0) return undefined;
  return {
    port: config.httpPort,
    host: config.httpHost,
    apiKeys: config.http.apiKeys,
    apiKeyFile: config.http.apiKeyFile ?? join(config.dataDir, 'apikeys.yaml'),
    users: config.http.users,
    tokenTtl: config.http.tokenTtl,
    config,
  };
}

export function onSignals(server: CulexServer): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`culex: ${signal}, shutting down\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    server.reload().then(
      () => process.stderr.write('culex: SIGHUP, certificates and auth files reloaded\n'),
      (error) => process.stderr.write(`culex: reload failed: ${(error as Error).message}\n`),
    );
  });
}
