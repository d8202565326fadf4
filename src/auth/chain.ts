// Several sources of authentication and authorization combined, and createAuth, which builds
// them from the `auth` section of the configuration.
import type { AuthSourceFigures } from '../broker/admin-wire.js';
import type {
  AuthResult,
  Authenticator,
  Authorizer,
  ClientInfo,
  ConnectRequest,
  EnhancedAuthenticator,
  MessageRecord,
} from '../broker/ports.js';
import { ReasonCode } from '../protocol/constants.js';
import { AclFileAuthorizer } from './acl-file.js';
import {
  type AccessAction,
  type AccessVerdict,
  type AuthFailure,
  type DecidingAuthorizer,
  type DenialLogger,
  describeClient,
  IGNORE,
  refuse,
  settle,
} from './decision.js';
import { HttpAuthenticator, HttpAuthorizer, HttpHook } from './http-hook.js';
import { JwtAuthenticator, JwtClaimAuthorizer } from './jwt.js';
import {
  AuthConfigError,
  type FactoryContext,
  optionalBoolean,
  optionalChoice,
  optionalString,
  readObject,
} from './options.js';
import { PasswordFileAuthenticator } from './password-file.js';
import { ScramSha256Authenticator } from './scram.js';
import { addDatabase, addLdap, type SourceParts } from './sources.js';

export interface AuthChainOptions {
  /** Let clients without user name and password in; default: only when no authenticator is set. */
  allowAnonymous?: boolean;
}

/**
 * Tries authenticators in order; the first success wins, even after another one refused the
 * password. When all refuse, the answer is the first refusal from an authenticator that knew
 * the credentials, else an unavailable service (0x88: worth retrying), else the first refusal.
 */
export class AuthChain implements Authenticator {
  readonly allowAnonymous: boolean;

  constructor(
    readonly authenticators: readonly Authenticator[],
    options: AuthChainOptions = {},
  ) {
    this.allowAnonymous = options.allowAnonymous ?? authenticators.length === 0;
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const anonymous = request.username === undefined && request.password === undefined;
    if (anonymous && this.allowAnonymous) return { ok: true };
    // Nothing checks credentials: mosquitto without a password file takes any user name.
    if (this.authenticators.length === 0 && this.allowAnonymous) {
      return { ok: true, username: request.username };
    }
    const failures: AuthFailure[] = [];
    for (const authenticator of this.authenticators) {
      const result = await Promise.resolve()
        .then(() => authenticator.authenticate(request))
        .catch(() => refuse(ReasonCode.ServerUnavailable, 'authenticator failed', false));
      if (result.ok) return result;
      if ((result as AuthFailure).final) return result;
      failures.push(result);
    }
    if (anonymous) return refuse(ReasonCode.NotAuthorized, 'anonymous access is disabled', false);
    const failure =
      failures.find((f) => f.recognized) ??
      failures.find((f) => f.reasonCode === ReasonCode.ServerUnavailable) ??
      failures[0];
    return failure ?? refuse(ReasonCode.BadUserNameOrPassword, 'no password authentication', false);
  }
}

export interface AuthorizerChainOptions {
  /**
   * 'all' (default): every authorizer with an opinion must allow, and one at least must;
   * 'first': the first authorizer with an opinion decides.
   */
  mode?: 'all' | 'first';
  /** When no authorizer has an opinion; default 'deny'. */
  noMatch?: 'allow' | 'deny';
  log?: DenialLogger;
}

type SourcedVerdict = AccessVerdict & { source?: string };
type Step = () => SourcedVerdict | Promise<SourcedVerdict>;

const NO_MESSAGE: MessageRecord = Object.freeze({
  topic: '',
  payload: new Uint8Array(0),
  qos: 0,
  retain: false,
  properties: {},
});

/** Lets a plain port Authorizer take part in a chain: its booleans are allow or deny. */
function asDeciding(
  authorizer: Authorizer | (Authorizer & DecidingAuthorizer),
): DecidingAuthorizer {
  if ('decide' in authorizer && 'decideRead' in authorizer) return authorizer;
  const verdict = (allowed: boolean): AccessVerdict => ({ decision: allowed ? 'allow' : 'deny' });
  const source = authorizer.constructor.name;
  return {
    source,
    decide(client, action, topic, message) {
      const answer =
        action === 'publish'
          ? authorizer.authorizePublish(client, topic, message ?? NO_MESSAGE)
          : authorizer.authorizeSubscribe(client, topic);
      return typeof answer === 'boolean' ? verdict(answer) : answer.then(verdict);
    },
    decideRead: (client, topic) =>
      authorizer.authorizeRead ? verdict(authorizer.authorizeRead(client, topic)) : IGNORE,
  };
}

/** A database row said is_superuser: no ACL applies to the client (EMQX). */
const isSuperuser = (client: ClientInfo) => client.attributes.superuser === true;

/** Combines authorizers; with none at all, everything is allowed (no ACL configured). */
export class AuthorizerChain implements Authorizer {
  private readonly deciders: DecidingAuthorizer[];
  private readonly mode: 'all' | 'first';
  private readonly noMatch: 'allow' | 'deny';

  constructor(
    authorizers: readonly Authorizer[],
    private readonly options: AuthorizerChainOptions = {},
  ) {
    this.deciders = authorizers.map(asDeciding);
    this.mode = options.mode ?? 'all';
    this.noMatch = authorizers.length === 0 ? 'allow' : (options.noMatch ?? 'deny');
  }

  /** How many authorizers are combined; 0 means every access is allowed. */
  get size(): number {
    return this.deciders.length;
  }

  authorizePublish(client: ClientInfo, topic: string, message: MessageRecord) {
    if (isSuperuser(client)) return true;
    const steps = this.deciders.map(
      (d) => () => this.sourced(d, d.decide(client, 'publish', topic, message)),
    );
    return this.finish(client, 'publish', topic, this.run(steps, 0, undefined));
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string) {
    if (isSuperuser(client)) return true;
    const steps = this.deciders.map(
      (d) => () => this.sourced(d, d.decide(client, 'subscribe', topicFilter)),
    );
    return this.finish(client, 'subscribe', topicFilter, this.run(steps, 0, undefined));
  }

  authorizeRead(client: ClientInfo, topic: string): boolean {
    if (isSuperuser(client)) return true;
    const steps = this.deciders.map((d) => () => ({
      ...d.decideRead(client, topic),
      source: d.source,
    }));
    // decideRead is synchronous, so the whole run is.
    return this.finish(client, 'read', topic, this.run(steps, 0, undefined)) as boolean;
  }

  private sourced(decider: DecidingAuthorizer, verdict: AccessVerdict | Promise<AccessVerdict>) {
    const tag = (v: AccessVerdict): SourcedVerdict => ({ ...v, source: decider.source });
    return verdict instanceof Promise ? verdict.then(tag) : tag(verdict);
  }

  /** Runs the steps in order, synchronously until one answers with a promise. */
  private run(steps: Step[], from: number, allowed: SourcedVerdict | undefined) {
    for (let i = from; i < steps.length; i++) {
      const result = steps[i]!();
      if (result instanceof Promise) {
        return result.then((verdict): SourcedVerdict | Promise<SourcedVerdict> => {
          const decided = this.decides(verdict);
          if (decided) return decided;
          return this.run(
            steps,
            i + 1,
            allowed ?? (verdict.decision === 'allow' ? verdict : undefined),
          );
        });
      }
      const decided = this.decides(result);
      if (decided) return decided;
      if (result.decision === 'allow') allowed ??= result;
    }
    return allowed ?? { decision: 'ignore', rule: 'no authorizer had a rule', source: 'chain' };
  }

  /** The verdict that ends the evaluation, if this one does. */
  private decides(verdict: SourcedVerdict): SourcedVerdict | undefined {
    if (this.mode === 'first') return verdict.decision === 'ignore' ? undefined : verdict;
    return verdict.decision === 'deny' ? verdict : undefined;
  }

  private finish(
    client: ClientInfo,
    action: AccessAction,
    topic: string,
    verdict: SourcedVerdict | Promise<SourcedVerdict>,
  ): boolean | Promise<boolean> {
    const decide = (v: SourcedVerdict) => {
      const denial = { ...describeClient(client), action, topic, source: v.source ?? 'chain' };
      // A delivered message that no authorizer has a read rule for is allowed: its
      // subscription was authorized at SUBSCRIBE (the HTTP hook, for one, only checks there).
      return settle(v, action === 'read' ? 'allow' : this.noMatch, denial, this.options.log);
    };
    return verdict instanceof Promise ? verdict.then(decide) : decide(verdict);
  }
}

/**
 * The `auth` section of the configuration. Authenticators are tried in the order their keys
 * appear; a file option may be a path or `{ file, ... }`.
 */
export interface AuthConfig {
  allowAnonymous?: boolean;
  passwordFile?: string | { file: string };
  aclFile?: string | { file: string; noMatch?: 'deny' | 'ignore' };
  /** JwtAuthenticator's options, plus `aclClaim` to authorize by that claim. */
  jwt?: Record<string, unknown>;
  /** HttpHook's options, plus `authenticate` / `authorize` (both default true). */
  http?: Record<string, unknown>;
  scram?: { credentialsFile?: string; users?: Record<string, unknown> };
  /** PostgreSQL: `query` for credentials, `aclQuery` for ACL rows (sources.ts, postgres.ts). */
  postgres?: Record<string, unknown>;
  /** Redis: `command` (HGET/HMGET/HGETALL) and `aclCommand` (HGETALL) (redis.ts). */
  redis?: Record<string, unknown>;
  /** LDAP: bind or password check, groups and group `acl` rules (ldap.ts). */
  ldap?: Record<string, unknown>;
  authorization?: { mode?: 'all' | 'first'; noMatch?: 'allow' | 'deny' };
}

export interface Auth {
  authenticator: AuthChain;
  authorizer: AuthorizerChain;
  /** Enhanced authentication methods by Authentication Method name (MQTT 5.0 4.12). */
  enhanced: Map<string, EnhancedAuthenticator>;
  /** Re-reads every file the adapters use (SIGHUP); the first error is thrown after all ran. */
  reload(): Promise<void>;
  /** The figures of each external source (database, LDAP, JWKS endpoint). */
  sources(): AuthSourceFigures[];
  /** Closes the sources' connection pools. */
  close(): Promise<void>;
}

const AUTH_KEYS = [
  'allowAnonymous',
  'passwordFile',
  'aclFile',
  'jwt',
  'http',
  'scram',
  'postgres',
  'redis',
  'ldap',
  'authorization',
];

/** A file option given as a bare path becomes `{ file }`. */
const fileOption = (value: unknown) => (typeof value === 'string' ? { file: value } : value);

interface Parts extends SourceParts {
  enhanced: Map<string, EnhancedAuthenticator>;
  reloaders: (() => Promise<void>)[];
}

interface Settings {
  mode: 'all' | 'first';
  log?: DenialLogger;
}

type SectionBuilder = (value: unknown, path: string, parts: Parts, settings: Settings) => unknown;

/** How each section of `auth` becomes adapters; sections join the chains in config order. */
const SECTIONS: Record<string, SectionBuilder> = {
  async passwordFile(value, path, parts) {
    const authenticator = await PasswordFileAuthenticator.fromConfig(fileOption(value), { path });
    parts.authenticators.push(authenticator);
    parts.reloaders.push(() => authenticator.reload());
  },
  async aclFile(value, path, parts, { mode, log }) {
    const options = fileOption(value) as Record<string, unknown> | undefined;
    // In 'first' mode a file without a matching rule lets the next source decide.
    const lenient =
      mode === 'first' && typeof options === 'object' && options.noMatch === undefined;
    const authorizer = await AclFileAuthorizer.fromConfig(
      lenient ? { ...options, noMatch: 'ignore' } : options,
      { path, log },
    );
    parts.authorizers.push(authorizer);
    parts.reloaders.push(() => authorizer.reload());
  },
  async jwt(value, path, parts, { log }) {
    const authenticator = await JwtAuthenticator.fromConfig(value, { path });
    parts.authenticators.push(authenticator);
    parts.reloaders.push(() => authenticator.reload());
    if (authenticator.stats) parts.sources.push(authenticator.stats);
    const claim = optionalString(value as Record<string, unknown>, 'aclClaim', path);
    if (claim) parts.authorizers.push(new JwtClaimAuthorizer({ claim, log }));
  },
  http: addHttp,
  async scram(value, path, parts) {
    const authenticator = await ScramSha256Authenticator.fromConfig(value, { path });
    parts.enhanced.set(authenticator.method, authenticator);
  },
  postgres: (value, path, parts, { log }) => addDatabase('postgres', value, path, parts, log),
  redis: (value, path, parts, { log }) => addDatabase('redis', value, path, parts, log),
  ldap: (value, path, parts, { log }) => addLdap(value, path, parts, log),
};

function addHttp(value: unknown, path: string, parts: Parts, { log }: Settings) {
  const hook = new HttpHook({
    ...HttpHook.parseOptions(value, path, ['authenticate', 'authorize']),
    log,
  });
  const object = value as Record<string, unknown>;
  const authenticate = optionalBoolean(object, 'authenticate', path) ?? true;
  const authorize = optionalBoolean(object, 'authorize', path) ?? true;
  if (!authenticate && !authorize) {
    throw new AuthConfigError(
      path,
      'authenticate and authorize are both false: remove the section',
    );
  }
  if (authenticate) parts.authenticators.push(new HttpAuthenticator(hook));
  if (authorize) parts.authorizers.push(new HttpAuthorizer(hook));
}

/** Runs one section's builder; a file it cannot read or parse is named by the setting. */
async function buildSection(
  build: SectionBuilder,
  value: unknown,
  path: string,
  parts: Parts,
  settings: Settings,
): Promise<void> {
  try {
    await build(value, path, parts, settings);
  } catch (error) {
    if (error instanceof AuthConfigError) throw error;
    throw new AuthConfigError(path, (error as Error).message, { cause: error });
  }
}

/**
 * Builds authentication and authorization from the `auth` configuration section. Anonymous
 * access is off as soon as any authenticator (SCRAM included) is configured, unless
 * `allowAnonymous: true`; without an ACL source every access is allowed.
 */
export async function createAuth(
  config: unknown = {},
  context: FactoryContext = {},
): Promise<Auth> {
  const path = context.path ?? 'auth';
  const object = readObject(config ?? {}, path, AUTH_KEYS);
  const at = `${path}.authorization`;
  const authorization = readObject(object.authorization ?? {}, at, ['mode', 'noMatch']);
  const mode = optionalChoice(authorization, 'mode', at, ['all', 'first'] as const);
  const noMatch = optionalChoice(authorization, 'noMatch', at, ['allow', 'deny'] as const);
  const allowAnonymous = optionalBoolean(object, 'allowAnonymous', path);
  const parts: Parts = {
    authenticators: [],
    authorizers: [],
    enhanced: new Map(),
    reloaders: [],
    sources: [],
    closers: [],
  };
  const settings: Settings = { mode: mode ?? 'all', log: context.log };
  const close = async () => {
    await Promise.allSettled(parts.closers.map((closeSource) => closeSource()));
  };
  try {
    for (const [key, value] of Object.entries(object)) {
      const build = SECTIONS[key];
      if (build && value !== undefined)
        await buildSection(build, value, `${path}.${key}`, parts, settings);
    }
  } catch (error) {
    await close(); // the pools opened by earlier sections
    throw error;
  }
  const configured = parts.authenticators.length + parts.enhanced.size > 0;
  return {
    authenticator: new AuthChain(parts.authenticators, {
      allowAnonymous: allowAnonymous ?? !configured,
    }),
    authorizer: new AuthorizerChain(parts.authorizers, { mode, noMatch, log: context.log }),
    enhanced: parts.enhanced,
    async reload() {
      const results = await Promise.allSettled(parts.reloaders.map((reload) => reload()));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
    sources: () => parts.sources.map((stats) => stats.figures()),
    close,
  };
}
