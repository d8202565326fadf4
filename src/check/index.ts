// `culex check`: conformance and robustness checks any MQTT broker can be pointed at.
import { connectChecks } from './areas/connect.js';
import { enhancedAuthChecks } from './areas/enhanced-auth.js';
import { flowControlChecks } from './areas/flow-control.js';
import { keepAliveChecks } from './areas/keep-alive.js';
import { limitChecks } from './areas/limits.js';
import { malformedChecks } from './areas/malformed.js';
import { publishChecks } from './areas/publish.js';
import { retainedChecks } from './areas/retained.js';
import { sessionChecks } from './areas/sessions.js';
import { sharedChecks } from './areas/shared.js';
import { subscriptionOptionChecks } from './areas/subscription-options.js';
import { topicAliasChecks } from './areas/topic-aliases.js';
import { topicChecks } from './areas/topics.js';
import { willChecks } from './areas/will.js';
import type { Check } from './types.js';

/** Every check, in report order. */
export const ALL_CHECKS: readonly Check[] = [
  ...connectChecks,
  ...publishChecks,
  ...retainedChecks,
  ...willChecks,
  ...sessionChecks,
  ...keepAliveChecks,
  ...topicChecks,
  ...subscriptionOptionChecks,
  ...flowControlChecks,
  ...topicAliasChecks,
  ...sharedChecks,
  ...enhancedAuthChecks,
  ...malformedChecks,
  ...limitChecks,
];

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
