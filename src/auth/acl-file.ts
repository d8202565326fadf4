// Mosquitto ACL files (mosquitto.conf(5), acl_file):
//   user <username>                               following `topic` lines are that user's
//   topic [read|write|readwrite|deny] <filter>    readwrite when the access is left out
//   pattern [read|write|readwrite|deny] <filter>  %u and %c substituted; applies to everyone
// `topic` lines before the first `user` line apply to anonymous clients, `pattern` lines to all
// clients wherever they stand, and `deny` lines are checked before the ones that grant access.
import { readFile } from 'node:fs/promises';
import type { Authorizer, ClientInfo, MessageRecord } from '../broker/ports.js';
import { topicMatches } from '../topic/match.js';
import { validateTopicFilter } from '../topic/validate.js';
import { filterCovers, substituteIdentity } from './acl-match.js';
import {
  type AccessVerdict,
  type DecidingAuthorizer,
  type DenialLogger,
  describeClient,
  settle,
} from './decision.js';
import { type FactoryContext, optionalChoice, readObject, requiredString } from './options.js';

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';
const ACCESSES: readonly string[] = ['read', 'write', 'readwrite', 'deny'];

export interface AclRule {
  kind: 'topic' | 'pattern';
  access: AclAccess;
  filter: string;
  /** The `user` section of a topic rule; undefined for the anonymous section and patterns. */
  user?: string;
  /** "acl.conf:12 topic read a/+", for denial logs. */
  origin: string;
}

/** Parses an ACL file; errors name `fileName` and the line number. */
export function parseAclFile(text: string, fileName: string): AclRule[] {
  const rules: AclRule[] = [];
  let user: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const where = `${fileName}:${index + 1}`;
    const space = line.search(/\s/);
    const keyword = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space).trim();
    if (keyword === 'user') {
      if (rest.length === 0) throw new Error(`${where}: "user" needs a user name`);
      user = rest;
    } else if (keyword === 'topic' || keyword === 'pattern') {
      const rule = parseRule(keyword, rest, where);
      rules.push(keyword === 'topic' ? { ...rule, user } : rule);
    } else {
      throw new Error(`${where}: unknown keyword "${keyword}" (expected user, topic or pattern)`);
    }
  });
  return rules;
}

function parseRule(kind: 'topic' | 'pattern', rest: string, where: string): AclRule {
  const space = rest.search(/\s/);
  const first = space === -1 ? rest : rest.slice(0, space);
  // The access word is optional; without it the whole rest is the filter (which may hold blanks).
  const hasAccess = ACCESSES.includes(first);
  const access = (hasAccess ? first : 'readwrite') as AclAccess;
  const filter = hasAccess ? (space === -1 ? '' : rest.slice(space).trim()) : rest;
  if (filter.length === 0) throw new Error(`${where}: "${kind}" needs a topic filter`);
  // Check the filter's shape with the substitutions filled in by a harmless value.
  const problem = validateTopicFilter(kind === 'pattern' ? filter.replace(/%[uc]/g, 'x') : filter);
  if (problem) throw new Error(`${where}: ${problem.message}`);
  return { kind, access, filter, origin: `${where} ${kind} ${access} ${filter}` };
}

const grants = (rule: AclRule, access: 'read' | 'write') =>
  rule.access === 'readwrite' || rule.access === access;

/** The rules that concern one client, identities substituted, deny rules first. */
interface ClientRules {
  deny: { filter: string; origin: string }[];
  read: { filter: string; origin: string }[];
  write: { filter: string; origin: string }[];
}

function rulesFor(rules: readonly AclRule[], client: ClientInfo): ClientRules {
  const result: ClientRules = { deny: [], read: [], write: [] };
  for (const rule of rules) {
    if (rule.kind === 'topic' && rule.user !== client.username) continue;
    const filter = rule.kind === 'pattern' ? substituteIdentity(rule.filter, client) : rule.filter;
    if (filter === undefined) continue;
    const entry = { filter, origin: rule.origin };
    if (rule.access === 'deny') result.deny.push(entry);
    if (grants(rule, 'read')) result.read.push(entry);
    if (grants(rule, 'write')) result.write.push(entry);
  }
  return result;
}

export interface AclFileOptions {
  file: string;
  /** What no matching rule means: 'deny' (mosquitto) or 'ignore' (leave it to other sources). */
  noMatch?: 'deny' | 'ignore';
  log?: DenialLogger;
}

/** Authorization by a mosquitto ACL file. */
export class AclFileAuthorizer implements Authorizer, DecidingAuthorizer {
  readonly source = 'acl-file';
  private perClient = new WeakMap<ClientInfo, ClientRules>();

  constructor(
    private rules: readonly AclRule[],
    private readonly options: Partial<AclFileOptions> = {},
  ) {}

  static async fromConfig(options: unknown, context: FactoryContext = {}) {
    const path = context.path ?? 'auth.aclFile';
    const object = readObject(options, path, ['file', 'noMatch']);
    const file = requiredString(object, 'file', path);
    const noMatch = optionalChoice(object, 'noMatch', path, ['deny', 'ignore'] as const);
    const authorizer = new AclFileAuthorizer([], { file, noMatch, log: context.log });
    await authorizer.reload();
    return authorizer;
  }

  /** Re-reads the file (SIGHUP). On error the old rules stay in force and the error is thrown. */
  async reload(): Promise<void> {
    if (this.options.file === undefined) return;
    this.rules = parseAclFile(await readFile(this.options.file, 'utf8'), this.options.file);
    this.perClient = new WeakMap();
  }

  private clientRules(client: ClientInfo): ClientRules {
    let rules = this.perClient.get(client);
    if (!rules) this.perClient.set(client, (rules = rulesFor(this.rules, client)));
    return rules;
  }

  private noMatch(): AccessVerdict {
    if (this.options.noMatch === 'ignore') return { decision: 'ignore' };
    return { decision: 'deny', rule: `${this.options.file ?? 'ACL'}: no rule matched` };
  }

  /** Topic-level check: deny rules first, then the first rule granting `access`. */
  private decideTopic(client: ClientInfo, access: 'read' | 'write', topic: string): AccessVerdict {
    const rules = this.clientRules(client);
    const denied = rules.deny.find((rule) => topicMatches(rule.filter, topic));
    if (denied) return { decision: 'deny', rule: denied.origin };
    const granted = rules[access].find((rule) => topicMatches(rule.filter, topic));
    return granted ? { decision: 'allow', rule: granted.origin } : this.noMatch();
  }

  /**
   * A subscription is allowed when one read rule covers the whole filter and no deny rule does.
   * A deny rule covering part of it leaves the subscription in place: decideRead then keeps
   * those topics from being delivered.
   */
  private decideFilter(client: ClientInfo, filter: string): AccessVerdict {
    const rules = this.clientRules(client);
    const denied = rules.deny.find((rule) => filterCovers(rule.filter, filter));
    if (denied) return { decision: 'deny', rule: denied.origin };
    const granted = rules.read.find((rule) => filterCovers(rule.filter, filter));
    return granted ? { decision: 'allow', rule: granted.origin } : this.noMatch();
  }

  decide(client: ClientInfo, action: 'publish' | 'subscribe', topic: string): AccessVerdict {
    return action === 'publish'
      ? this.decideTopic(client, 'write', topic)
      : this.decideFilter(client, topic);
  }

  decideRead(client: ClientInfo, topic: string): AccessVerdict {
    return this.decideTopic(client, 'read', topic);
  }

  authorizePublish(client: ClientInfo, topic: string, _message?: MessageRecord): boolean {
    return this.settle(client, 'publish', topic, this.decideTopic(client, 'write', topic));
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string): boolean {
    return this.settle(client, 'subscribe', topicFilter, this.decideFilter(client, topicFilter));
  }

  authorizeRead(client: ClientInfo, topic: string): boolean {
    return this.settle(client, 'read', topic, this.decideTopic(client, 'read', topic));
  }

  private settle(
    client: ClientInfo,
    action: 'publish' | 'subscribe' | 'read',
    topic: string,
    verdict: AccessVerdict,
  ): boolean {
    const denial = { ...describeClient(client), action, topic, source: this.source };
    return settle(verdict, 'deny', denial, this.options.log);
  }
}
