// Authorization from JWT claims, as EMQX does it. The ACL claim is either
//   { "pub": [filters], "sub": [filters], "all": [filters] }          allow lists, or
//   [ { "permission": "allow"|"deny", "action": "publish"|"subscribe"|"all",
//       "topic": filter } | { ..., "topics": [filters] }, ... ]        rules, first match wins.
// Filters may hold %u / %c (or ${username} / ${clientid}), put in per client.
import type { Authorizer, ClientInfo, MessageRecord } from '../broker/ports.js';
import { topicMatches } from '../topic/match.js';
import { validateTopicFilter } from '../topic/validate.js';
import { filterCovers, substituteIdentity } from './acl-match.js';
import {
  type AccessAction,
  type AccessVerdict,
  type DecidingAuthorizer,
  type DenialLogger,
  describeClient,
  IGNORE,
  settle,
} from './decision.js';
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

interface ClaimRule {
  permission: 'allow' | 'deny';
  publish: boolean;
  subscribe: boolean;
  filter: string;
  origin: string;
}

type Compiled = ClaimRule[] | 'malformed';

const ACTIONS: Record<string, { publish: boolean; subscribe: boolean }> = {
  publish: { publish: true, subscribe: false },
  pub: { publish: true, subscribe: false },
  subscribe: { publish: false, subscribe: true },
  sub: { publish: false, subscribe: true },
  all: { publish: true, subscribe: true },
};

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Turns one claim rule into compiled rules; false when it is malformed. */
function addRule(
  rules: ClaimRule[],
  client: ClientInfo,
  shape: Omit<ClaimRule, 'filter' | 'origin'>,
  filters: readonly string[],
  origin: string,
): boolean {
  for (const raw of filters) {
    const filter = substituteIdentity(raw, client);
    if (filter === undefined) continue; // this client's identity cannot fill the placeholder
    if (validateTopicFilter(filter)) return false;
    rules.push({ ...shape, filter, origin: `${origin} ${raw}` });
  }
  return true;
}

function compileList(value: unknown[], client: ClientInfo, claim: string): Compiled {
  const rules: ClaimRule[] = [];
  for (const [index, item] of value.entries()) {
    const rule = item as Record<string, unknown>;
    const action = typeof rule?.action === 'string' ? ACTIONS[rule.action] : undefined;
    const permission = rule?.permission;
    const filters = typeof rule?.topic === 'string' ? [rule.topic] : rule?.topics;
    if (!action || (permission !== 'allow' && permission !== 'deny') || !isStringList(filters)) {
      return 'malformed';
    }
    const origin = `jwt claim ${claim}[${index}] ${permission} ${rule.action}`;
    if (!addRule(rules, client, { permission, ...action }, filters, origin)) return 'malformed';
  }
  return rules;
}

function compileLists(value: Record<string, unknown>, client: ClientInfo, claim: string): Compiled {
  const rules: ClaimRule[] = [];
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

function compile(value: unknown, client: ClientInfo, claim: string): Compiled {
  if (Array.isArray(value)) return compileList(value, client, claim);
  if (typeof value === 'object' && value !== null) {
    return compileLists(value as Record<string, unknown>, client, claim);
  }
  return 'malformed';
}

/** Authorization by the ACL claim of the client's JWT (attributes.jwt, see JwtAuthenticator). */
export class JwtClaimAuthorizer implements Authorizer, DecidingAuthorizer {
  readonly source = 'jwt';
  private readonly claim: string;
  /** Keyed by the claims object, so a re-authentication with a new token recompiles. */
  private readonly compiled = new WeakMap<object, Compiled>();

  constructor(private readonly options: JwtClaimOptions = {}) {
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

  private rulesOf(client: ClientInfo): Compiled | AccessVerdict {
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

  private decideAccess(client: ClientInfo, action: AccessAction, topic: string): AccessVerdict {
    const rules = this.rulesOf(client);
    if (!Array.isArray(rules)) {
      return rules === 'malformed'
        ? { decision: 'deny', rule: `jwt claim ${this.claim}: malformed` }
        : rules;
    }
    for (const rule of rules) {
      if (!(action === 'publish' ? rule.publish : rule.subscribe)) continue;
      // A deny rule covering only part of a subscription is applied per message instead.
      const hit =
        action === 'subscribe'
          ? filterCovers(rule.filter, topic)
          : topicMatches(rule.filter, topic);
      if (hit) return { decision: rule.permission, rule: rule.origin };
    }
    return { decision: 'deny', rule: `jwt claim ${this.claim}: no rule matched` };
  }

  decide(client: ClientInfo, action: 'publish' | 'subscribe', topic: string): AccessVerdict {
    return this.decideAccess(client, action, topic);
  }

  decideRead(client: ClientInfo, topic: string): AccessVerdict {
    return this.decideAccess(client, 'read', topic);
  }

  authorizePublish(client: ClientInfo, topic: string, _message?: MessageRecord): boolean {
    return this.settle(client, 'publish', topic);
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string): boolean {
    return this.settle(client, 'subscribe', topicFilter);
  }

  authorizeRead(client: ClientInfo, topic: string): boolean {
    return this.settle(client, 'read', topic);
  }

  private settle(client: ClientInfo, action: AccessAction, topic: string): boolean {
    const denial = { ...describeClient(client), action, topic, source: this.source };
    return settle(this.decideAccess(client, action, topic), 'deny', denial, this.options.log);
  }
}
