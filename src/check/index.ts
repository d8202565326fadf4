// `culex check`: conformance and robustness checks any MQTT broker can be pointed at.
import { connectChecks } from './areas/connect.js';
import type { Check } from './types.js';

/** Every check, in report order. */
export const ALL_CHECKS: readonly Check[] = [...connectChecks];

export { formatJson, formatText, summarize } from './report.js';
export {
  DEFAULT_RATE,
  DEFAULT_TIMEOUT,
  type RunOptions,
  type RunReport,
  runChecks,
} from './runner.js';
export { AREAS, type Area, type Check, type CheckResult, type Outcome } from './types.js';
export type { Target } from './wire.js';
