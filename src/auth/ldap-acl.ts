// ACL rules by LDAP group: the `acl` list of the ldap section, each rule with the `group` it
// applies to, matched against the groups LdapAuthenticator found (attributes.ldap.groups).
//   acl:
//     - { group: operators, permission: allow, action: all, topic: "plant/#" }
//     - { group: devices, permission: allow, action: publish, topic: "telemetry/%c" }
// The groups come with the CONNECT, so every check is synchronous.
import type { ClientInfo } from '../broker/ports.js';
import { type CompiledRules, compileList, decideByRules } from './acl-rules.js';
import { SyncAuthorizer } from './sync-authorizer.js';
import { type AccessAction, type AccessVerdict, type DenialLogger, IGNORE } from './decision.js';
import { AuthConfigError } from './options.js';

export interface GroupRule {
  group: string;
  permission: string;
  action: string;
  topic?: string;
  topics?: string[];
}

const LABEL = 'ldap acl';
const PROBE: ClientInfo = {
  clientId: 'probe',
  username: 'probe',
  remoteAddress: '127.0.0.1',
  protocolVersion: 5,
  attributes: {},
};

export function parseGroupRules(value: unknown, path: string): GroupRule[] {
  const list = Array.isArray(value) ? value : undefined;
  const valid =
    list?.every((rule) => typeof rule?.group === 'string' && rule.group.length > 0) &&
    compileList(list, PROBE, LABEL) !== 'malformed';
  if (!valid) {
    throw new AuthConfigError(
      path,
      'expected a list of { group, permission: allow|deny, action: publish|subscribe|all, topic }',
    );
  }
  return list as GroupRule[];
}

function groupsOf(client: ClientInfo): string[] | undefined {
  const ldap = client.attributes.ldap as { groups?: unknown } | undefined;
  return Array.isArray(ldap?.groups) ? (ldap.groups as string[]) : undefined;
}

export class LdapGroupAuthorizer extends SyncAuthorizer {
  readonly source = 'ldap';
  private readonly compiled = new WeakMap<ClientInfo, CompiledRules>();

  constructor(
    private readonly rules: readonly GroupRule[],
    log?: DenialLogger,
  ) {
    super(log);
    // A delivered message no group rule names was allowed at SUBSCRIBE.
    this.readNoMatch = 'allow';
  }

  protected decideAccess(client: ClientInfo, action: AccessAction, topic: string): AccessVerdict {
    const groups = groupsOf(client);
    if (!groups) return IGNORE; // not an LDAP client
    let rules = this.compiled.get(client);
    if (!rules) {
      const mine = this.rules.filter((rule) => groups.includes(rule.group));
      this.compiled.set(client, (rules = compileList(mine, client, LABEL)));
    }
    return decideByRules(rules, action, topic, LABEL, true);
  }
}
