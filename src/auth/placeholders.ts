// The client facts a database query may use: ${username}, ${clientid}, ${peerhost} and
// ${cert_common_name} (EMQX's names). They reach SQL as bound parameters, Redis as whole
// command arguments and LDAP escaped: never spliced into the query language.
import type { ClientInfo, ConnectRequest } from '../broker/ports.js';
import { AuthConfigError } from './options.js';

export const PLACEHOLDERS = ['username', 'clientid', 'peerhost', 'cert_common_name'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type Identity = Partial<Record<Placeholder, string>>;

/** Connected clients have no certificate left in ClientInfo: ACL queries cannot use it. */
export const ACL_PLACEHOLDERS: readonly Placeholder[] = ['username', 'clientid', 'peerhost'];

const PATTERN = /\$\{([^}]*)\}/g;

export function identityOfRequest(request: ConnectRequest): Identity {
  return {
    username: request.username,
    clientid: request.clientId,
    peerhost: request.remoteAddress,
    cert_common_name: request.certificate?.commonName,
  };
}

export function identityOfClient(client: ClientInfo): Identity {
  return { username: client.username, clientid: client.clientId, peerhost: client.remoteAddress };
}

/** The placeholders a template uses, in order of appearance; unknown ones are config errors. */
export function placeholdersIn(
  template: string,
  path: string,
  allowed: readonly Placeholder[] = PLACEHOLDERS,
): Placeholder[] {
  const names: Placeholder[] = [];
  for (const [, name] of template.matchAll(PATTERN)) {
    if (!(allowed as readonly string[]).includes(name!)) {
      throw new AuthConfigError(path, `unknown placeholder \${${name}} (allowed: ${allowed})`);
    }
    if (!names.includes(name as Placeholder)) names.push(name as Placeholder);
  }
  return names;
}

/**
 * The cache key of the facts a query uses; undefined when one is missing (a client without a
 * user name asked by user name, or a value holding NUL, the key's separator).
 */
export function keyOf(names: readonly Placeholder[], identity: Identity): string | undefined {
  let key = '';
  for (const name of names) {
    const value = identity[name];
    // NUL is no part of an MQTT string [MQTT-1.5.4-2]: such a value finds nobody.
    if (value === undefined || value.includes('\u0000')) return undefined;
    key += `${value}\u0000`;
  }
  return key;
}

/** Fills a template, each value passed through `escapeValue`; undefined when a value is missing. */
export function fill(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
  escapeValue: (value: string) => string,
): string | undefined {
  let missing = false;
  const text = template.replace(PATTERN, (_, name: string) => {
    const value = values[name];
    if (value === undefined) missing = true;
    return escapeValue(value ?? '');
  });
  return missing ? undefined : text;
}

/**
 * A SQL text with its placeholders turned into $1, $2, ... and the names to bind to them. A
 * quoted placeholder ('${username}') would become the literal text '$1': refused.
 */
export function toSqlParameters(
  template: string,
  path: string,
  allowed: readonly Placeholder[] = PLACEHOLDERS,
): { text: string; names: Placeholder[] } {
  if (/'[^']*\$\{[^}]*\}[^']*'/.test(template)) {
    throw new AuthConfigError(path, 'placeholders are bound as parameters: do not quote them');
  }
  const names = placeholdersIn(template, path, allowed);
  const text = template.replace(PATTERN, (_, name) => `$${names.indexOf(name) + 1}`);
  return { text, names };
}
