// Authentication and authorization by a database (PostgreSQL, Redis): the source answers with
// a credentials row or ACL rows for the client's facts, through a Lookup (timeout, cache,
// figures). What a failed source means is the operator's choice: 'deny' refuses at once,
// 'ignore' lets the next source in the chain decide. No failure ever lets anyone in.
import type {
  AuthResult,
  Authenticator,
  Authorizer,
  ClientInfo,
  ConnectRequest,
  MessageRecord,
} from '../broker/ports.js';
import { ReasonCode } from '../protocol/constants.js';
import { type CompiledRules, compileList, decideByRules } from './acl-rules.js';
import {
  type AccessAction,
  type AccessVerdict,
  type AuthFailure,
  badCredentials,
  type DecidingAuthorizer,
  type DenialLogger,
  describeClient,
  IGNORE,
  refuse,
  settle,
} from './decision.js';
import { Lookup, type LookupOptions, type OnError, type SourceStats } from './lookup.js';
import {
  type Identity,
  identityOfClient,
  identityOfRequest,
  keyOf,
  type Placeholder,
} from './placeholders.js';
import {
  type PasswordHashOptions,
  type StoredPassword,
  verifyStoredPassword,
} from './stored-password.js';

/** A user's row: the hash, its salt, and whether ACLs apply to the user at all. */
export interface Credentials extends StoredPassword {
  superuser: boolean;
}

/** An ACL row as the rule lists of acl-rules.ts read it. */
export interface AclRow {
  permission: string;
  action: string;
  topic: string;
}

/** What a database adapter answers; a failure is thrown. */
export interface DatabaseSource {
  readonly name: string;
  /** The facts the credentials query uses (its cache key). */
  readonly credentialFacts: readonly Placeholder[];
  readonly aclFacts: readonly Placeholder[];
  /** null: no such user. */
  credentials(identity: Identity): Promise<Credentials | null>;
  aclRows(identity: Identity): Promise<AclRow[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions extends LookupOptions {
  onError: OnError;
  passwordHash: PasswordHashOptions;
  log?: DenialLogger;
}

/** Truthy as databases write it: true, 1, "1", "true", "t". */
export function isTruthy(value: unknown): boolean {
  if (typeof value === 'string')
    return ['1', 'true', 't', 'yes', 'on'].includes(value.toLowerCase());
  return value === true || value === 1;
}

/** The refusal of a failed source under the operator's policy. */
export function failure(name: string, onError: OnError, detail: string): AuthFailure {
  if (onError === 'ignore') return badCredentials(`${name} unavailable: ${detail}`, false);
  // 'deny' ends the chain with 0x88 Server unavailable, a defined reason code [MQTT-3.2.2-8]
  // that tells the client to come back later.
  return { ...refuse(ReasonCode.ServerUnavailable, `${name} unavailable`, false), final: true };
}

export class DatabaseAuthenticator implements Authenticator {
  private readonly lookup: Lookup<Credentials | null>;

  constructor(
    readonly source: DatabaseSource,
    readonly stats: SourceStats,
    private readonly options: DatabaseOptions,
  ) {
    this.lookup = new Lookup(stats, options, (row) => row === null);
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const identity = identityOfRequest(request);
    const key = keyOf(this.source.credentialFacts, identity);
    if (key === undefined || request.password === undefined) {
      return badCredentials(`${this.source.name}: no user name or password`, false);
    }
    const answer = await this.lookup.get(key, () => this.source.credentials(identity));
    if ('error' in answer) {
      this.stats.decided('error');
      return failure(this.source.name, this.options.onError, answer.error);
    }
    const row = answer.value;
    const ok =
      row !== null &&
      (await verifyStoredPassword(request.password, row, this.options.passwordHash));
    this.stats.decided(ok ? 'allow' : 'deny');
    if (!row) return badCredentials('unknown user', false);
    if (!ok) return badCredentials('wrong password', true);
    return {
      ok: true,
      username: request.username,
      attributes: row.superuser ? { superuser: true } : undefined,
    };
  }
}

/**
 * Authorization by ACL rows, first match wins. The rows of a client come once per cache TTL;
 * in between, every check is synchronous. When the source fails, the rows the client had stay
 * in force; a client never answered gets the onError policy.
 */
export class DatabaseAuthorizer implements Authorizer, DecidingAuthorizer {
  readonly source: string;
  private readonly lookup: Lookup<AclRow[]>;
  private readonly compiled = new WeakMap<ClientInfo, { rows: AclRow[]; rules: CompiledRules }>();

  constructor(
    readonly database: DatabaseSource,
    readonly stats: SourceStats,
    private readonly options: DatabaseOptions,
  ) {
    this.source = database.name;
    this.lookup = new Lookup(stats, options, (rows) => rows.length === 0);
  }

  private rulesFor(client: ClientInfo, rows: AclRow[]): CompiledRules {
    const known = this.compiled.get(client);
    if (known?.rows === rows) return known.rules;
    const rules = compileList(rows, client, `${this.source} acl`);
    this.compiled.set(client, { rows, rules });
    return rules;
  }

  private verdict(client: ClientInfo, rows: AclRow[], action: AccessAction, topic: string) {
    // No rows at all: this source knows nothing of the client.
    if (rows.length === 0) return IGNORE;
    return decideByRules(this.rulesFor(client, rows), action, topic, `${this.source} acl`, true);
  }

  decide(client: ClientInfo, action: 'publish' | 'subscribe', topic: string) {
    const identity = identityOfClient(client);
    const key = keyOf(this.database.aclFacts, identity);
    if (key === undefined) return IGNORE;
    const rows = this.lookup.cached(key);
    if (rows) return this.counted(this.verdict(client, rows, action, topic));
    return this.lookup
      .get(key, () => this.database.aclRows(identity), true)
      .then((answer) => {
        if ('value' in answer)
          return this.counted(this.verdict(client, answer.value, action, topic));
        this.stats.decided('error');
        const rule = `${this.source} failed: ${answer.error}`;
        return this.options.onError === 'deny' ? { decision: 'deny' as const, rule } : IGNORE;
      });
  }

  private counted(verdict: AccessVerdict): AccessVerdict {
    this.stats.decided(verdict.decision);
    return verdict;
  }

  /** Synchronous: the rows the client was last given, fresh or not; none: no opinion. */
  decideRead(client: ClientInfo, topic: string): AccessVerdict {
    const key = keyOf(this.database.aclFacts, identityOfClient(client));
    const rows = key === undefined ? undefined : this.lookup.latest(key);
    return rows ? this.verdict(client, rows, 'read', topic) : IGNORE;
  }

  authorizePublish(client: ClientInfo, topic: string, _message?: MessageRecord) {
    return this.settle(client, 'publish', topic, this.decide(client, 'publish', topic));
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string) {
    return this.settle(
      client,
      'subscribe',
      topicFilter,
      this.decide(client, 'subscribe', topicFilter),
    );
  }

  authorizeRead(client: ClientInfo, topic: string): boolean {
    return this.settle(client, 'read', topic, this.decideRead(client, topic)) as boolean;
  }

  private settle(
    client: ClientInfo,
    action: AccessAction,
    topic: string,
    verdict: AccessVerdict | Promise<AccessVerdict>,
  ): boolean | Promise<boolean> {
    const denial = { ...describeClient(client), action, topic, source: this.source };
    const noMatch = action === 'read' ? 'allow' : 'deny';
    const decide = (v: AccessVerdict) => settle(v, noMatch, denial, this.options.log);
    return verdict instanceof Promise ? verdict.then(decide) : decide(verdict);
  }
}
