// The rule engine inside the broker: rules from the config and the API, their sources (topics,
// `$events/...`, `$bridges/mqtt:name`), evaluation with compileRule and the actions. It runs on
// the node that received a message (BrokerCore.publish calls it), so once per message in a
// cluster, and never waits: SQL runs synchronously, sinks queue.
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/hooks.js';
import type { Message } from '../broker/message.js';
import type { ClientInfo } from '../broker/ports.js';
import { NO_PROPERTIES, type UserProperty } from '../protocol/packets.js';
import { type CompiledRule, compileRule } from '../sql/index.js';
import { type Action, makeAction, type Republisher } from './actions.js';
import type { RuleConfig } from './config.js';
import { type EventName, listen } from './events.js';
import { type Fields, messageFields, needsOf } from './fields.js';
import { type RuleFigures, RuleMetrics, ruleFigures } from './metrics.js';
import { type Registered, RuleRegistry, type Source, parseSource } from './registry.js';
import type { Bridges } from './bridges.js';

export interface RuleEngineOptions {
  log: Logger;
  /** Republish depth: a republished message may trigger rules that republish, this deep. */
  maxDepth?: number;
}

/** A rule as it runs. */
export interface RuleRun extends Registered {
  readonly config: RuleConfig;
  readonly compiled: CompiledRule;
  /** The message fields it needs computed (see messageFields). */
  readonly needs: number;
  readonly sources: Source[];
  readonly actions: Action[];
  readonly metrics: RuleMetrics;
}

export interface RuleView extends RuleConfig {
  sources: readonly string[];
  metrics: RuleFigures;
  actionMetrics: ReturnType<Action['counters']>[];
}

export class RuleEngine implements Republisher {
  private readonly rules = new Map<string, RuleRun>();
  private readonly registry = new RuleRegistry<RuleRun>();
  private seq = 0;
  private depth = 0;
  private readonly maxDepth: number;
  private readonly timer: NodeJS.Timeout;
  /** Republishes the loop guard refused. */
  loopDropped = 0;
  /** The bridges (mqtt connectors) whose `out` lines forward local messages. */
  bridges: Bridges | undefined;

  constructor(
    readonly broker: Broker,
    private readonly options: RuleEngineOptions,
  ) {
    this.maxDepth = options.maxDepth ?? 8;
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  get log(): Logger {
    return this.options.log;
  }

  /** Adds or replaces a rule; throws an Error naming the problem (bad SQL, unknown source). */
  put(config: RuleConfig, connector: Parameters<typeof makeAction>[1]['connector']): RuleRun {
    const compiled = compileRule(config.sql);
    const sources = compiled.sources.map(parseSource);
    const old = this.rules.get(config.id);
    const actions: Action[] = [];
    try {
      for (const [index, action] of config.actions.entries())
        actions.push(
          makeAction(action, {
            ruleId: config.id,
            index,
            log: this.log,
            republisher: this,
            connector,
          }),
        );
    } catch (error) {
      for (const a of actions) void a.close();
      throw error;
    }
    if (old !== undefined) this.drop(old);
    const run: RuleRun = {
      id: config.id,
      seq: old?.seq ?? ++this.seq,
      config,
      compiled,
      needs: needsOf(compiled.reads),
      sources,
      actions,
      metrics: old?.metrics ?? new RuleMetrics(),
    };
    this.rules.set(config.id, run);
    if (config.enabled) this.registry.add(run, sources);
    this.listen();
    return run;
  }

  remove(id: string): boolean {
    const run = this.rules.get(id);
    if (run === undefined) return false;
    this.drop(run);
    this.rules.delete(id);
    this.listen();
    return true;
  }

  private drop(run: RuleRun): void {
    this.registry.remove(run, run.sources);
    for (const a of run.actions) void a.close();
  }

  get(id: string): RuleRun | undefined {
    return this.rules.get(id);
  }

  all(): RuleRun[] {
    return [...this.rules.values()].sort((a, b) => a.seq - b.seq);
  }

  view(run: RuleRun): RuleView {
    const actionMetrics = run.actions.map((a) => a.counters());
    return {
      ...run.config,
      sources: run.compiled.sources,
      metrics: ruleFigures(run.metrics, actionMetrics),
      actionMetrics,
    };
  }

  resetMetrics(run: RuleRun): void {
    run.metrics.reset();
    for (const a of run.actions) a.reset();
  }

  /** Rules using a connector (a connector in use cannot go). */
  usersOf(connector: string): string[] {
    return this.all()
      .filter(
        (r) =>
          r.config.actions.some((a) => a.type === 'sink' && a.connector === connector) ||
          r.sources.some((s) => s.kind === 'bridge' && s.connector === connector),
      )
      .map((r) => r.id);
  }

  /** Sets exactly the broker's event slots some enabled rule reads. */
  listen(): void {
    const core = this.broker.core;
    const wanted = new Set<EventName>(this.registry.events.keys());
    listen(core, wanted, this.onEvent);
    const needed = this.registry.topicRules > 0 || (this.bridges?.forwarding ?? false);
    core.events.messagePublish = needed ? this.onPublish : undefined;
  }

  private readonly onPublish = (message: Message, client: ClientInfo | undefined): void => {
    const matched = this.registry.match(message.topic);
    const count = matched.length;
    if (count > 0) {
      const core = this.broker.core;
      let needs = 0;
      for (let i = 0; i < count; i++) needs |= matched[i]!.needs;
      const input = messageFields(message, client, core.options.nodeName, core.now, needs);
      for (let i = 0; i < count; i++) this.run(matched[i]!, input);
    }
    this.bridges?.forward(message);
  };

  private readonly onEvent = (event: EventName, fields: Fields): void => {
    const rules = this.registry.events.get(event);
    if (rules !== undefined) for (const rule of rules) this.run(rule, fields);
  };

  /** A message a bridge brought in: rules reading `$bridges/mqtt:<name>` see it. */
  bridged(connector: string, fields: Fields): void {
    const rules = this.registry.bridges.get(connector);
    if (rules !== undefined) for (const rule of rules) this.run(rule, fields);
  }

  private run(rule: RuleRun, input: Fields): void {
    const m = rule.metrics;
    m.matched++;
    let outputs: Record<string, unknown>[];
    try {
      outputs = rule.compiled.evaluate(input);
    } catch (error) {
      m.failedException++;
      this.log.debug({ rule: rule.id, err: (error as Error).message }, 'rule failed');
      return;
    }
    if (outputs.length === 0) {
      m.failedNoResult++;
      return;
    }
    m.passed++;
    const actions = rule.actions;
    for (const output of outputs) {
      for (let i = 0; i < actions.length; i++) {
        m.actionsTotal++;
        actions[i]!.run(output);
      }
    }
  }

  /** Republish under the loop guard: a rule whose output triggers rules, at most maxDepth deep. */
  republish(
    topic: string,
    payload: Uint8Array,
    qos: 0 | 1 | 2,
    retain: boolean,
    userProperties: UserProperty[] | undefined,
  ): boolean {
    if (this.depth >= this.maxDepth) {
      this.loopDropped++;
      return false;
    }
    this.depth++;
    try {
      // A broker-made message (no origin, no expiry) in the shape of a client's, so that the
      // routing code sees one kind of object.
      const message: Message = {
        topic,
        payload,
        qos,
        retain,
        properties: userProperties === undefined ? NO_PROPERTIES : { userProperties },
        expiresAt: undefined,
        origin: undefined,
      };
      this.broker.core.publish(message);
    } finally {
      this.depth--;
    }
    return true;
  }

  private sample(): void {
    const now = Date.now();
    for (const run of this.rules.values()) run.metrics.sample(now);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const core = this.broker.core;
    listen(core, new Set(), this.onEvent);
    core.events.messagePublish = undefined;
    for (const run of this.rules.values()) for (const a of run.actions) await a.close();
    this.rules.clear();
  }
}
