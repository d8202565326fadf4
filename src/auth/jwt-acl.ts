// Authorization from JWT claims, as EMQX does it. The ACL claim is either
//   { "pub": [filters], "sub": [filters], "all": [filters] }          allow lists, or
//   a rule list, first match wins (acl-rules.ts).
import type { ClientInfo } from '../broker/ports.js';
import {
  ACTIONS,
  addRule,
  type CompiledRules,
  compileList,
  decideByRules,
  isStringList,
  type ListRule,
} from './acl-rules.js';
import { SyncAuthorizer } from './sync-authorizer.js';
import { type AccessAction, type AccessVerdict, type DenialLogger, IGNORE } from './decision.js';
import { type FactoryContext, optionalBoolean, optionalString, readObject } from './options.js';

export interface JwtClaimOptions {
  /** The claim that holds the ACL; default "acl". */
  claim?: string;
  /** Deny everything once the token's "exp" has passed, on live connections too; default true. */
  enforceExpiry?: boolean;
  /** The clock, in ms since the epoch; tests set it. */
  now?: () => number;
  log?: DenialLogger;
}

function compileLists(
  value: Record<string, unknown>,
  client: ClientInfo,
  claim: string,
): CompiledRules {
  const rules: ListRule[] = [];
  for (const [key, filters] of Object.entries(value)) {
    const action = ACTIONS[key];
    if (!action || !isStringList(filters)) return 'malformed';
    const origin = `jwt claim ${claim}.${key}`;
    if (!addRule(rules, client, { permission: 'allow', ...action }, filters, origin)) {
      return 'malformed';
    }
  }
  return rules;
}

function compile(value: unknown, client: ClientInfo, claim: string): CompiledRules {
  if (Array.isArray(value)) return compileList(value, client, `jwt claim ${claim}`);
  if (typeof value === 'object' && value !== null) {
    return compileLists(value as Record<string, unknown>, client, claim);
  }
  return 'malformed';
}

/** Authorization by the ACL claim of the client's JWT (attributes.jwt, see JwtAuthenticator). */
export class JwtClaimAuthorizer extends SyncAuthorizer {
  readonly source = 'jwt';
  private readonly claim: string;
  /** Keyed by the claims object, so a re-authentication with a new token recompiles. */
  private readonly compiled = new WeakMap<object, CompiledRules>();

  constructor(private readonly options: JwtClaimOptions = {}) {
    super(options.log);
    this.claim = options.claim ?? 'acl';
  }

  static fromConfig(options: unknown, context: FactoryContext = {}) {
    const path = context.path ?? 'auth.jwt.acl';
    const object = readObject(options, path, ['claim', 'enforceExpiry']);
    return new JwtClaimAuthorizer({
      claim: optionalString(object, 'claim', path),
      enforceExpiry: optionalBoolean(object, 'enforceExpiry', path),
      log: context.log,
    });
  }

  private rulesOf(client: ClientInfo): CompiledRules | AccessVerdict {
    const claims = client.attributes.jwt;
    if (typeof claims !== 'object' || claims === null) return IGNORE; // not a JWT client
    const { exp } = claims as { exp?: unknown };
    const now = this.options.now?.() ?? Date.now();
    if (this.options.enforceExpiry !== false && typeof exp === 'number' && now >= exp * 1000) {
      return { decision: 'deny', rule: 'jwt: token expired' };
    }
    const value = (claims as Record<string, unknown>)[this.claim];
    if (value === undefined) return IGNORE;
    let rules = this.compiled.get(claims);
    if (!rules) this.compiled.set(claims, (rules = compile(value, client, this.claim)));
    return rules;
  }

  protected decideAccess(client: ClientInfo, action: AccessAction, topic: string): AccessVerdict {
    const rules = this.rulesOf(client);
    if (!Array.isArray(rules) && rules !== 'malformed') return rules;
    return decideByRules(rules, action, topic, `jwt claim ${this.claim}`);
  }
}
