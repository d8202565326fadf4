// Rules and connectors as configured (YAML `rules:` / `connectors:`, the HTTP API, the data
// directory's rules.json): their shape and the checks, with messages naming what is wrong.
import type { ConnectorConfig, SinkConfig } from '../connectors/index.js';

export interface RepublishAction {
  type: 'republish';
  /** A `${...}` template over the rule's output. */
  topic: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** A template; absent: the output as JSON. */
  payload?: string;
  /** Name → template. */
  userProperties?: Record<string, string>;
}

export interface ConsoleAction {
  type: 'console';
}

export interface SinkAction extends SinkConfig {
  type: 'sink';
}

export type ActionConfig = RepublishAction | ConsoleAction | SinkAction;

export interface RuleConfig {
  id: string;
  sql: string;
  enabled: boolean;
  description?: string;
  actions: ActionConfig[];
}

export interface RulesSection {
  rules: RuleConfig[];
  connectors: ConnectorConfig[];
}

/** A bad rule or connector: `where` names it (`rules[2].actions[0].qos`). */
export class RuleConfigError extends Error {
  override name = 'RuleConfigError';
}

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const RULE_KEYS = ['id', 'sql', 'enabled', 'description', 'actions'];
const REPUBLISH_KEYS = ['type', 'topic', 'qos', 'retain', 'payload', 'userProperties'];
const CONNECTOR_TYPES = ['http', 'mqtt', 'postgresql', 'redis', 'nats'];

function fail(where: string, message: string): never {
  throw new RuleConfigError(`'${where}' ${message}`);
}

function mapping(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(where, 'must be a mapping of keys to values');
  return value as Record<string, unknown>;
}

function onlyKeys(object: Record<string, unknown>, keys: string[], where: string): void {
  for (const key of Object.keys(object))
    if (!keys.includes(key))
      throw new RuleConfigError(`unknown setting '${where}.${key}' (allowed: ${keys.join(', ')})`);
}

function text(value: unknown, where: string, pattern?: RegExp, expected = 'a string'): string {
  if (typeof value !== 'string' || value === '' || (pattern && !pattern.test(value)))
    fail(where, `must be ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

/** One rule; `where` is how messages name it. The SQL itself is checked by compileRule. */
export function parseRule(value: unknown, where: string): RuleConfig {
  const rule = mapping(value, where);
  onlyKeys(rule, RULE_KEYS, where);
  const id = text(rule.id, `${where}.id`, ID, '1 to 64 letters, digits or _ . : -');
  const sql = text(rule.sql, `${where}.sql`);
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean')
    fail(`${where}.enabled`, `must be true or false, got ${JSON.stringify(rule.enabled)}`);
  if (rule.description !== undefined) text(rule.description, `${where}.description`);
  const actions = rule.actions ?? [];
  if (!Array.isArray(actions)) fail(`${where}.actions`, 'must be a list');
  return {
    id,
    sql,
    enabled: rule.enabled !== false,
    ...(rule.description === undefined ? {} : { description: rule.description as string }),
    actions: actions.map((a, i) => parseAction(a, `${where}.actions[${i}]`)),
  };
}

function parseAction(value: unknown, where: string): ActionConfig {
  const action = mapping(value, where);
  if (action.type === 'console') {
    onlyKeys(action, ['type'], where);
    return { type: 'console' };
  }
  if (action.type === 'sink') {
    text(action.connector, `${where}.connector`);
    // The connector checks the rest when it makes the sink (its messages are exact too).
    return { ...action } as unknown as SinkAction;
  }
  if (action.type !== 'republish')
    fail(`${where}.type`, `must be republish, console or sink, got ${JSON.stringify(action.type)}`);
  onlyKeys(action, REPUBLISH_KEYS, where);
  text(action.topic, `${where}.topic`);
  if (action.qos !== undefined && ![0, 1, 2].includes(action.qos as number))
    fail(`${where}.qos`, `must be 0, 1 or 2, got ${JSON.stringify(action.qos)}`);
  if (action.retain !== undefined && typeof action.retain !== 'boolean')
    fail(`${where}.retain`, `must be true or false, got ${JSON.stringify(action.retain)}`);
  if (action.payload !== undefined && typeof action.payload !== 'string')
    fail(`${where}.payload`, `must be a string, got ${JSON.stringify(action.payload)}`);
  if (action.userProperties !== undefined) {
    const props = mapping(action.userProperties, `${where}.userProperties`);
    for (const [k, v] of Object.entries(props)) text(v, `${where}.userProperties.${k}`);
  }
  return { ...action } as unknown as RepublishAction;
}

/** One connector: name and type here; createConnector checks the keys of its type. */
export function parseConnector(value: unknown, where: string): ConnectorConfig {
  const connector = mapping(value, where);
  text(connector.name, `${where}.name`, ID, '1 to 64 letters, digits or _ . : -');
  if (!CONNECTOR_TYPES.includes(connector.type as string))
    fail(
      `${where}.type`,
      `must be one of ${CONNECTOR_TYPES.join(', ')}, got ${JSON.stringify(connector.type)}`,
    );
  return { ...connector } as ConnectorConfig;
}

/** The `rules:` and `connectors:` lists, ids and names unique. */
export function parseRulesSection(rules: unknown, connectors: unknown): RulesSection {
  const list = (value: unknown, name: string) => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) fail(name, 'must be a list');
    return value;
  };
  const section = {
    rules: list(rules, 'rules').map((r, i) => parseRule(r, `rules[${i}]`)),
    connectors: list(connectors, 'connectors').map((c, i) => parseConnector(c, `connectors[${i}]`)),
  };
  unique(
    section.rules.map((r) => r.id),
    'rules',
    'id',
  );
  unique(
    section.connectors.map((c) => c.name),
    'connectors',
    'name',
  );
  return section;
}

function unique(keys: string[], list: string, key: string): void {
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (seen.has(k)) fail(`${list}[${i}].${key}`, `repeats ${JSON.stringify(k)}`);
    seen.add(k);
  }
}
