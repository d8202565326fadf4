// Prometheus figures of the rule engine: per rule (matched, passed, failed by kind, actions by
// outcome, rate) and per connector (status, connects, disconnects, errors).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RulesHost } from '../rules/host.js';
import type { ConnectorView, RuleView } from '../rules/index.js';

type RuleValue = (r: RuleView) => number;

const RULE_COUNTERS: [string, string, RuleValue][] = [
  ['matched', 'Inputs that reached the rule (its FROM matched)', (r) => r.metrics.matched],
  ['passed', 'Inputs for which the rule gave outputs', (r) => r.metrics.passed],
  ['failed_exception', 'Inputs on which the SQL failed', (r) => r.metrics.failed.exception],
  ['failed_no_result', 'Inputs the WHERE clause filtered out', (r) => r.metrics.failed.no_result],
  ['actions_total', 'Outputs handed to actions', (r) => r.metrics.actions.total],
  [
    'actions_success',
    'Actions done (sinks: written to the target)',
    (r) => r.metrics.actions.success,
  ],
  ['actions_failed', 'Actions that failed', (r) => r.metrics.actions.failed],
  [
    'actions_dropped',
    'Outputs dropped (buffer full, loop guard, …)',
    (r) => r.metrics.actions.dropped,
  ],
];

const CONNECTOR_COUNTERS: [string, string, (c: ConnectorView) => number][] = [
  ['connects', 'Connections made to the target', (c) => c.counters.connects],
  ['disconnects', 'Connections to the target lost', (c) => c.counters.disconnects],
  ['errors', 'Errors talking to the target', (c) => c.counters.errors],
];

const STATUSES = ['connected', 'connecting', 'disconnected'];

/** Figures of the rules and connectors; none until the engine is open (RulesHost). */
export function defineRuleMetrics(registry: Registry, host: RulesHost): void {
  const registers = [registry];
  const rules = {
    listRules: (): RuleView[] => host.current?.listRules() ?? [],
    listConnectors: (): ConnectorView[] => host.current?.listConnectors() ?? [],
  };
  for (const [name, help, value] of RULE_COUNTERS)
    new Counter({
      name: `culex_rule_${name}_total`,
      help,
      labelNames: ['rule'],
      registers,
      collect() {
        this.reset();
        for (const r of rules.listRules()) this.inc({ rule: r.id }, value(r));
      },
    });
  new Gauge({
    name: 'culex_rule_actions_queued',
    help: 'Outputs waiting in the sinks of a rule',
    labelNames: ['rule'],
    registers,
    collect() {
      this.reset();
      for (const r of rules.listRules()) this.set({ rule: r.id }, r.metrics.actions.queued);
    },
  });
  new Gauge({
    name: 'culex_rule_matched_rate',
    help: 'Inputs per second that reached the rule, over the last second',
    labelNames: ['rule'],
    registers,
    collect() {
      this.reset();
      for (const r of rules.listRules()) this.set({ rule: r.id }, r.metrics.rate);
    },
  });
  new Gauge({
    name: 'culex_connector_status',
    help: 'Connector status: 1 for the current one of connected, connecting, disconnected',
    labelNames: ['connector', 'type', 'status'],
    registers,
    collect() {
      this.reset();
      for (const c of rules.listConnectors())
        for (const status of STATUSES)
          this.set({ connector: c.name, type: c.type, status }, c.status === status ? 1 : 0);
    },
  });
  for (const [name, help, value] of CONNECTOR_COUNTERS)
    new Counter({
      name: `culex_connector_${name}_total`,
      help,
      labelNames: ['connector'],
      registers,
      collect() {
        this.reset();
        for (const c of rules.listConnectors()) this.inc({ connector: c.name }, value(c));
      },
    });
}
