// The rule engine (docs/RULES.md): rules in EMQX's SQL over messages, events and bridges.
export {
  type ActionConfig,
  parseConnector,
  parseRule,
  parseRulesSection,
  type RuleConfig,
  RuleConfigError,
  type RulesSection,
} from './config.js';
export { EVENT_NAMES, type EventName } from './events.js';
export { RuleEngine, type RuleView } from './engine.js';
export { RulesHost } from './host.js';
export type { RuleFigures } from './metrics.js';
export { RulesError } from './errors.js';
export { type ConnectorView, type RulesOptions, RulesService } from './service.js';
export type { RuleTestRequest } from './test-rule.js';
