// The `postgres`, `redis` and `ldap` sections of `auth`: each becomes an authenticator, an
// authorizer or both, with its own figures (SourceStats) and a connection pool to close.
import type { Authenticator, Authorizer } from '../broker/ports.js';
import { type DatabaseOptions, DatabaseAuthenticator, DatabaseAuthorizer } from './database.js';
import type { DenialLogger } from './decision.js';
import { LDAP_KEYS, LdapAuthenticator, parseLdapOptions } from './ldap.js';
import { LdapGroupAuthorizer, parseGroupRules } from './ldap-acl.js';
import { LOOKUP_KEYS, parseLookupOptions, SourceStats } from './lookup.js';
import { AuthConfigError, readObject } from './options.js';
import { POSTGRES_KEYS, PostgresSource } from './postgres.js';
import { REDIS_KEYS, RedisSource } from './redis.js';
import { parsePasswordHash } from './stored-password.js';

/** What the sections add to the chains. */
export interface SourceParts {
  authenticators: Authenticator[];
  authorizers: Authorizer[];
  sources: SourceStats[];
  closers: (() => Promise<void>)[];
}

const ADAPTERS = {
  postgres: { keys: [...POSTGRES_KEYS, 'query', 'aclQuery'], Source: PostgresSource },
  redis: { keys: [...REDIS_KEYS, 'command', 'aclCommand'], Source: RedisSource },
};

/** Builds a postgres or redis section. */
export function addDatabase(
  kind: keyof typeof ADAPTERS,
  value: unknown,
  path: string,
  parts: SourceParts,
  log?: DenialLogger,
): void {
  const { keys, Source } = ADAPTERS[kind];
  const object = readObject(value, path, [...keys, 'passwordHash', ...LOOKUP_KEYS]);
  const lookup = parseLookupOptions(object, path);
  const hasQuery = object.query !== undefined || object.command !== undefined;
  if (hasQuery && object.passwordHash === undefined) {
    throw new AuthConfigError(`${path}.passwordHash`, 'is required to check passwords');
  }
  const passwordHash = hasQuery
    ? parsePasswordHash(object.passwordHash, `${path}.passwordHash`)
    : { algorithm: 'plain' as const };
  const source = new Source(object, path, lookup.timeoutMs ?? 5_000);
  parts.closers.push(() => source.close());
  const stats = new SourceStats(source.name, lookup.onError);
  parts.sources.push(stats);
  const options: DatabaseOptions = { ...lookup, passwordHash, log };
  if (source.authenticates)
    parts.authenticators.push(new DatabaseAuthenticator(source, stats, options));
  if (source.authorizes) parts.authorizers.push(new DatabaseAuthorizer(source, stats, options));
}

export function addLdap(value: unknown, path: string, parts: SourceParts, log?: DenialLogger) {
  const object = readObject(value, path, [...LDAP_KEYS, ...LOOKUP_KEYS]);
  const lookup = parseLookupOptions(object, path);
  const rules = object.acl === undefined ? undefined : parseGroupRules(object.acl, `${path}.acl`);
  const options = { ...parseLdapOptions(object, path), ...lookup };
  const stats = new SourceStats('ldap', lookup.onError);
  parts.sources.push(stats);
  parts.authenticators.push(new LdapAuthenticator(options, stats));
  if (rules) parts.authorizers.push(new LdapGroupAuthorizer(rules, log));
}
