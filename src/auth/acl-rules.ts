// ACL rule lists as JWT claims and database rows give them (EMQX's shape):
//   [ { "permission": "allow"|"deny", "action": "publish"|"subscribe"|"all",
//       "topic": filter } | { ..., "topics": [filters] }, ... ]        first match wins.
// Filters may hold %u / %c (or ${username} / ${clientid}), put in per client.
import type { ClientInfo } from '../broker/ports.js';
import { topicMatches } from '../topic/match.js';
import { validateTopicFilter } from '../topic/validate.js';
import { filterCovers, substituteIdentity } from './acl-match.js';
import type { AccessAction, AccessVerdict } from './decision.js';

export interface ListRule {
  permission: 'allow' | 'deny';
  publish: boolean;
  subscribe: boolean;
  filter: string;
  origin: string;
}

export type CompiledRules = ListRule[] | 'malformed';

export const ACTIONS: Record<string, { publish: boolean; subscribe: boolean }> = {
  publish: { publish: true, subscribe: false },
  pub: { publish: true, subscribe: false },
  subscribe: { publish: false, subscribe: true },
  sub: { publish: false, subscribe: true },
  all: { publish: true, subscribe: true },
};

export const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Turns one rule into compiled rules; false when it is malformed. */
export function addRule(
  rules: ListRule[],
  client: ClientInfo,
  shape: Omit<ListRule, 'filter' | 'origin'>,
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

/** Compiles a rule list; `label` names its source in the rules' origins ("jwt claim acl"). */
export function compileList(value: readonly unknown[], client: ClientInfo, label: string) {
  const rules: ListRule[] = [];
  for (const [index, item] of value.entries()) {
    const rule = item as Record<string, unknown>;
    const action = typeof rule?.action === 'string' ? ACTIONS[rule.action] : undefined;
    const permission = rule?.permission;
    const filters = typeof rule?.topic === 'string' ? [rule.topic] : rule?.topics;
    if (!action || (permission !== 'allow' && permission !== 'deny') || !isStringList(filters)) {
      return 'malformed';
    }
    const origin = `${label}[${index}] ${permission} ${rule.action}`;
    if (!addRule(rules, client, { permission, ...action }, filters, origin)) return 'malformed';
  }
  return rules;
}

/**
 * The first rule for `action` that matches decides; none: deny, or abstain when
 * `abstain` (a database's rows leave other topics to the next source). A subscription needs a rule
 * covering its whole filter (a deny rule covering part of it is applied per message instead).
 */
export function decideByRules(
  rules: CompiledRules,
  action: AccessAction,
  topic: string,
  label: string,
  abstain = false,
): AccessVerdict {
  if (rules === 'malformed') return { decision: 'deny', rule: `${label}: malformed` };
  for (const rule of rules) {
    if (!(action === 'publish' ? rule.publish : rule.subscribe)) continue;
    const hit =
      action === 'subscribe' ? filterCovers(rule.filter, topic) : topicMatches(rule.filter, topic);
    if (hit) return { decision: rule.permission, rule: rule.origin };
  }
  return { decision: abstain ? 'ignore' : 'deny', rule: `${label}: no rule matched` };
}
