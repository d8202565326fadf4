// LDAP as a source of credentials and groups (ldapts). The user's entry is found by a search
// (the filter's ${...} values escaped per RFC 4515, so "*" or ")(" stay literal), then either
// bound to with the MQTT password (method: bind) or its password attribute checked
// (method: password; {SSHA}, {SHA}, ...). The groups whose filter names the entry become the
// client's `attributes.ldap.groups`, which the `acl` rules of this section match.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Client } from 'ldapts';
import type { AuthResult, Authenticator, ConnectRequest } from '../broker/ports.js';
import { failure } from './database.js';
import { badCredentials } from './decision.js';
import { Lookup, type LookupOptions, type OnError, type SourceStats } from './lookup.js';
import {
  AuthConfigError,
  optionalBoolean,
  optionalChoice,
  optionalString,
  type PlainObject,
  requiredString,
} from './options.js';
import {
  fill,
  type Identity,
  identityOfRequest,
  keyOf,
  type Placeholder,
  placeholdersIn,
} from './placeholders.js';
import { verifyLdapPassword } from './stored-password.js';

export const LDAP_KEYS = [
  'url',
  'bindDn',
  'bindPassword',
  'baseDn',
  'filter',
  'method',
  'passwordAttribute',
  'allowPlainPassword',
  'groupBaseDn',
  'groupFilter',
  'groupAttribute',
  'acl',
];

/** RFC 4515 3: the characters that would change a filter's meaning, as \XX. */
export function escapeFilterValue(value: string): string {
  return value.replace(
    /[\\*()\u0000]/g,
    (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export interface LdapOptions extends LookupOptions {
  url: string;
  bindDn?: string;
  bindPassword?: string;
  baseDn: string;
  filter: string;
  method: 'bind' | 'password';
  passwordAttribute: string;
  allowPlainPassword: boolean;
  groupBaseDn?: string;
  /** ${dn} is the user's entry, ${username} the MQTT user name. */
  groupFilter: string;
  groupAttribute: string;
  onError: OnError;
}

export function parseLdapOptions(object: PlainObject, path: string) {
  const url = requiredString(object, 'url', path);
  if (!/^ldaps?:\/\//.test(url))
    throw new AuthConfigError(`${path}.url`, 'expected ldap:// or ldaps://');
  const filter = optionalString(object, 'filter', path) ?? '(uid=${username})';
  placeholdersIn(filter, `${path}.filter`);
  const groupFilter = optionalString(object, 'groupFilter', path) ?? '(member=${dn})';
  if (/\$\{(?!dn\}|username\})/.test(groupFilter)) {
    throw new AuthConfigError(`${path}.groupFilter`, 'only ${dn} and ${username} are known here');
  }
  return {
    url,
    bindDn: optionalString(object, 'bindDn', path),
    bindPassword: optionalString(object, 'bindPassword', path),
    baseDn: requiredString(object, 'baseDn', path),
    filter,
    method: optionalChoice(object, 'method', path, ['bind', 'password'] as const) ?? 'bind',
    passwordAttribute: optionalString(object, 'passwordAttribute', path) ?? 'userPassword',
    allowPlainPassword: optionalBoolean(object, 'allowPlainPassword', path) ?? false,
    groupBaseDn: optionalString(object, 'groupBaseDn', path),
    groupFilter,
    groupAttribute: optionalString(object, 'groupAttribute', path) ?? 'cn',
  };
}

type Outcome = { result: 'allow'; groups: string[] } | { result: 'unknown' | 'wrong' };

const text = (value: unknown): string | undefined =>
  Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined;
const first = (value: unknown) => text(Array.isArray(value) ? value[0] : value);

export class LdapAuthenticator implements Authenticator {
  private readonly lookup: Lookup<Outcome>;
  /** What the filter uses of the client: with the password, the cache key. */
  private readonly facts: Placeholder[];

  constructor(
    private readonly options: LdapOptions,
    readonly stats: SourceStats,
  ) {
    this.lookup = new Lookup(stats, options, (outcome) => outcome.result !== 'allow');
    // The user name always: it is what the client is let in as.
    const used = placeholdersIn(options.filter, 'filter');
    this.facts = ['username', ...used.filter((name) => name !== 'username')];
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const identity = identityOfRequest(request);
    const password = request.password;
    // An empty password would be an unauthenticated bind, which LDAP servers accept (RFC 4513 5.1.2).
    if (request.username === undefined || !password || password.length === 0) {
      return badCredentials('ldap: no user name or password', false);
    }
    const facts = keyOf(this.facts, identity);
    if (facts === undefined) return badCredentials('ldap: no user name', false);
    // Keyed by a hash of the filter's facts and the password: the cache holds no passwords.
    const key = createHash('sha256').update(facts).update(password).digest('base64');
    const answer = await this.lookup.get(key, () => this.check(identity, password));
    if ('error' in answer) {
      this.stats.decided('error');
      return failure('ldap', this.options.onError, answer.error);
    }
    const outcome = answer.value;
    this.stats.decided(outcome.result === 'allow' ? 'allow' : 'deny');
    if (outcome.result === 'unknown') return badCredentials('unknown user', false);
    if (outcome.result !== 'allow') return badCredentials('wrong password', true);
    return {
      ok: true,
      username: request.username,
      attributes: { ldap: { groups: outcome.groups } },
    };
  }

  /** One connection per check: a bind as the user changes who the connection is. */
  private async check(identity: Identity, password: Uint8Array): Promise<Outcome> {
    const { url, timeoutMs } = this.options;
    const client = new (load().Client)({ url, timeout: timeoutMs, connectTimeout: timeoutMs });
    try {
      if (this.options.bindDn) await client.bind(this.options.bindDn, this.options.bindPassword);
      const entry = await this.findUser(client, identity);
      if (!entry) return { result: 'unknown' };
      const groups = await this.groupsOf(client, entry.dn, identity);
      const ok = await this.passwordMatches(client, entry, password);
      return ok ? { result: 'allow', groups } : { result: 'wrong' };
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  private async findUser(client: Client, identity: Identity) {
    const filter = fill(this.options.filter, identity, escapeFilterValue);
    if (filter === undefined) return undefined;
    const { searchEntries } = await client.search(this.options.baseDn, {
      scope: 'sub',
      filter,
      sizeLimit: 2,
      attributes: this.options.method === 'password' ? [this.options.passwordAttribute] : ['1.1'],
    });
    // Two entries for one user name: the filter is too wide; trust neither.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  private async groupsOf(client: Client, dn: string, identity: Identity): Promise<string[]> {
    if (!this.options.groupBaseDn) return [];
    const values = { dn, username: identity.username };
    const filter = fill(this.options.groupFilter, values, escapeFilterValue);
    if (filter === undefined) return [];
    const attribute = this.options.groupAttribute;
    const { searchEntries } = await client.search(this.options.groupBaseDn, {
      scope: 'sub',
      filter,
      attributes: [attribute],
    });
    return searchEntries.map((entry) => first(entry[attribute])).filter((g) => g !== undefined);
  }

  private async passwordMatches(
    client: Client,
    entry: { dn: string; [attribute: string]: unknown },
    password: Uint8Array,
  ): Promise<boolean> {
    if (this.options.method === 'password') {
      const stored = first(entry[this.options.passwordAttribute]);
      return (
        stored !== undefined &&
        verifyLdapPassword(password, stored, this.options.allowPlainPassword)
      );
    }
    try {
      await client.bind(entry.dn, Buffer.from(password).toString('utf8'));
      return true;
    } catch (error) {
      if (error instanceof load().InvalidCredentialsError) return false;
      throw error;
    }
  }
}

// Loaded on first use: a broker that does not use it does not carry the module's memory
// (tens of MB, in every process of `culex start --workers`).
const load = () => createRequire(import.meta.url)('ldapts') as typeof import('ldapts');
