// The rules and connectors of one broker, as the config, the HTTP API and the dashboard see
// them: create, change, delete, enable, test; API changes are saved in the data directory.
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/hooks.js';
import {
  type Connector,
  type ConnectorConfig,
  createConnector,
  type IngressMessage,
} from '../connectors/index.js';
import type { Properties } from '../protocol/packets.js';
import { Bridges } from './bridges.js';
import { RulesError } from './errors.js';
import { parseConnector, parseRule, type RuleConfig } from './config.js';
import { RuleEngine, type RuleView } from './engine.js';
import type { Fields } from './fields.js';
import { RulesFile, type StoredRules, emptyStored } from './store.js';
import { type RuleTestRequest, testRule } from './test-rule.js';

export { RulesError };

export interface RulesOptions {
  rules?: RuleConfig[];
  connectors?: ConnectorConfig[];
  /** Where API changes and the connectors' disk buffers live; memory only when absent. */
  dataDir?: string;
  log: Logger;
  /** Republish loop guard depth (default 8). */
  maxDepth?: number;
}

export interface ConnectorView {
  name: string;
  type: string;
  status: string;
  counters: Connector['counters'];
  config: ConnectorConfig;
  rules: string[];
}

const SECRET = /pass|secret|token|key|authorization/i;

export class RulesService {
  readonly engine: RuleEngine;
  private readonly connectors = new Map<
    string,
    { config: ConnectorConfig; connector: Connector }
  >();
  private readonly bridges = new Bridges();
  private readonly file: RulesFile | undefined;
  private stored: StoredRules = emptyStored();

  private constructor(
    private readonly broker: Broker,
    private readonly options: RulesOptions,
  ) {
    this.engine = new RuleEngine(broker, { log: options.log, maxDepth: options.maxDepth });
    this.engine.bridges = this.bridges;
    this.file = options.dataDir === undefined ? undefined : new RulesFile(options.dataDir);
  }

  /** Starts the configured connectors and rules, with the API's saved changes on top. */
  static async open(broker: Broker, options: RulesOptions): Promise<RulesService> {
    const service = new RulesService(broker, options);
    try {
      await service.start();
    } catch (error) {
      await service.close();
      throw error;
    }
    return service;
  }

  private async start(): Promise<void> {
    this.stored = (await this.file?.load()) ?? emptyStored();
    const s = this.stored;
    const connectors = merged(
      this.options.connectors ?? [],
      s.connectors,
      s.deletedConnectors,
      (c) => c.name,
    );
    for (const [i, c] of connectors.entries())
      this.startConnector(parseConnector(c, `connectors[${i}]`));
    const rules = merged(this.options.rules ?? [], s.rules, s.deletedRules, (r) => r.id);
    for (const [i, r] of rules.entries()) this.putRule(parseRule(r, `rules[${i}]`));
  }

  // --- rules

  listRules(): RuleView[] {
    return this.engine.all().map((r) => this.engine.view(r));
  }

  getRule(id: string): RuleView {
    return this.engine.view(this.run(id));
  }

  async createRule(body: unknown): Promise<RuleView> {
    const config = checked(() => parseRule(body, 'rule'));
    if (this.engine.get(config.id) !== undefined)
      throw new RulesError('conflict', `rule '${config.id}' exists`);
    return this.saveRule(config);
  }

  /** Changes the keys given; the id stays. */
  async updateRule(id: string, body: unknown): Promise<RuleView> {
    const old = this.run(id).config;
    const changes = typeof body === 'object' && body !== null ? body : {};
    return this.saveRule(checked(() => parseRule({ ...old, ...changes, id }, 'rule')));
  }

  async deleteRule(id: string): Promise<void> {
    this.run(id);
    this.engine.remove(id);
    this.stored.rules = this.stored.rules.filter((r) => r.id !== id);
    if (!this.stored.deletedRules.includes(id)) this.stored.deletedRules.push(id);
    await this.file?.save(this.stored);
  }

  resetMetrics(id: string): RuleView {
    const run = this.run(id);
    this.engine.resetMetrics(run);
    return this.engine.view(run);
  }

  /** Runs SQL against a sample message or event: no actions, no counters. */
  test(body: RuleTestRequest): { outputs: Fields[] } {
    return checked(() => testRule(body, this.broker.core.options.nodeName));
  }

  private run(id: string) {
    const run = this.engine.get(id);
    if (run === undefined) throw new RulesError('not_found', `no rule '${id}'`);
    return run;
  }

  private putRule(config: RuleConfig): void {
    checked(() => this.engine.put(config, (name) => this.connectors.get(name)?.connector));
  }

  private async saveRule(config: RuleConfig): Promise<RuleView> {
    this.putRule(config);
    this.stored.rules = [...this.stored.rules.filter((r) => r.id !== config.id), config];
    this.stored.deletedRules = this.stored.deletedRules.filter((id) => id !== config.id);
    await this.file?.save(this.stored);
    return this.getRule(config.id);
  }

  // --- connectors

  listConnectors(): ConnectorView[] {
    return [...this.connectors.keys()].map((name) => this.getConnector(name));
  }

  getConnector(name: string): ConnectorView {
    const entry = this.connectors.get(name);
    if (entry === undefined) throw new RulesError('not_found', `no connector '${name}'`);
    const { config, connector } = entry;
    return {
      name,
      type: config.type,
      status: connector.status(),
      counters: { ...connector.counters },
      config: redacted(config),
      rules: this.engine.usersOf(name),
    };
  }

  async createConnector(body: unknown): Promise<ConnectorView> {
    const config = checked(() => parseConnector(body, 'connector'));
    if (this.connectors.has(config.name))
      throw new RulesError('conflict', `connector '${config.name}' exists`);
    return this.saveConnector(config);
  }

  async updateConnector(name: string, body: unknown): Promise<ConnectorView> {
    const old = this.getConnector(name);
    const changes = typeof body === 'object' && body !== null ? body : {};
    const config = checked(() =>
      parseConnector({ ...this.connectors.get(name)!.config, ...changes, name }, 'connector'),
    );
    await this.stopConnector(name);
    this.startConnector(config);
    // The rules' sinks wrote through the old connector: make them again.
    for (const id of old.rules) this.putRule(this.engine.get(id)!.config);
    return this.persistConnector(config);
  }

  async deleteConnector(name: string): Promise<void> {
    this.getConnector(name);
    const users = this.engine.usersOf(name);
    if (users.length > 0)
      throw new RulesError('conflict', `connector '${name}' is used by rules ${users.join(', ')}`);
    await this.stopConnector(name);
    this.stored.connectors = this.stored.connectors.filter((c) => c.name !== name);
    if (!this.stored.deletedConnectors.includes(name)) this.stored.deletedConnectors.push(name);
    await this.file?.save(this.stored);
  }

  private async saveConnector(config: ConnectorConfig): Promise<ConnectorView> {
    this.startConnector(config);
    return this.persistConnector(config);
  }

  private async persistConnector(config: ConnectorConfig): Promise<ConnectorView> {
    this.stored.connectors = [
      ...this.stored.connectors.filter((c) => c.name !== config.name),
      config,
    ];
    this.stored.deletedConnectors = this.stored.deletedConnectors.filter((n) => n !== config.name);
    await this.file?.save(this.stored);
    return this.getConnector(config.name);
  }

  private startConnector(config: ConnectorConfig): void {
    const connector = checked(() =>
      createConnector(config, {
        dataDir: this.options.dataDir,
        log: this.options.log,
        ingress: (name, message) => this.ingress(name, message),
      }),
    );
    this.connectors.set(config.name, { config, connector });
    this.bridges.add(connector);
    this.engine.listen();
  }

  private async stopConnector(name: string): Promise<void> {
    const entry = this.connectors.get(name);
    if (entry === undefined) return;
    this.connectors.delete(name);
    this.bridges.remove(entry.connector);
    this.engine.listen();
    await entry.connector.close();
  }

  /** A message a bridge brought in: published here, then to `$bridges/mqtt:<name>` rules. */
  private ingress(name: string, message: IngressMessage): void {
    const { topic, payload, qos, retain } = message;
    const properties = (message.properties ?? {}) as Properties;
    this.bridges.incoming(name, () =>
      this.broker.publish(topic, payload, { qos, retain, properties }),
    );
    const core = this.broker.core;
    this.engine.bridged(name, {
      topic,
      payload,
      qos,
      retain,
      flags: { retain, dup: false },
      pub_props: properties,
      server: name,
      timestamp: core.now(),
      node: core.options.nodeName,
      event: `$bridges/mqtt:${name}`,
    });
  }

  async close(): Promise<void> {
    await this.engine.close();
    for (const name of [...this.connectors.keys()]) await this.stopConnector(name);
  }
}

/** Config entries, less the deleted, with the saved ones replacing those of the same key. */
function merged<T>(config: T[], saved: T[], deleted: string[], key: (t: T) => string): T[] {
  const savedKeys = new Set(saved.map(key));
  return [...config.filter((c) => !deleted.includes(key(c)) && !savedKeys.has(key(c))), ...saved];
}

/** Any Error from checking or building becomes a 400 with its message. */
function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof RulesError) throw error;
    throw new RulesError('bad_request', (error as Error).message);
  }
}

function redacted(config: ConnectorConfig): ConnectorConfig {
  return hide(config) as ConnectorConfig;
}

/** Secrets (passwords, tokens, keys, authorization headers, URL passwords) as ******. */
function hide(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:******@');
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(hide);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET.test(k) ? '******' : hide(v);
  return out;
}
