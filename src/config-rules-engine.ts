// The `rules:` and `connectors:` sections of the YAML config (docs/RULES.md). The rule engine
// checks them (src/rules/config.ts, shared with the HTTP API); a bad entry stops start-up.
import type { ConnectorConfig } from './connectors/index.js';
import { CulexError, ErrorCode } from './errors.js';
import { parseRulesSection, type RuleConfig, RuleConfigError } from './rules/config.js';

export interface RulesConfig {
  rules: RuleConfig[];
  connectors: ConnectorConfig[];
}

/** Checks both sections of a YAML document (each may be absent) into `config`. */
export function applyRulesSections(config: RulesConfig, rules: unknown, connectors: unknown): void {
  if (rules === undefined && connectors === undefined) return;
  try {
    const section = parseRulesSection(rules ?? config.rules, connectors ?? config.connectors);
    config.rules = section.rules;
    config.connectors = section.connectors;
  } catch (error) {
    if (!(error instanceof RuleConfigError)) throw error;
    const code = error.message.startsWith('unknown setting')
      ? ErrorCode.ConfigUnknownKey
      : ErrorCode.ConfigBadValue;
    throw new CulexError(code, error.message);
  }
}
