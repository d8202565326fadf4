// What a check is, what it can conclude, and the capabilities the probe reports. Checks are
// data (id, area, title, rule ids) plus one small async function.
import type { CheckContext } from './context.js';

export const AREAS = [
  'connect',
  'publish',
  'retained',
  'will',
  'sessions',
  'keep-alive',
  'topics',
  'subscription-options',
  'flow-control',
  'topic-aliases',
  'shared',
  'enhanced-auth',
  'malformed',
  'limits',
] as const;
export type Area = (typeof AREAS)[number];

/** Protocol levels the tool checks: 4 = 3.1.1, 5 = 5.0. */
export type CheckVersion = 4 | 5;

export type Outcome = 'pass' | 'fail' | 'not supported' | 'skip';

export interface Check {
  /** Stable id, unique with `version`: `<area>.<name>`. */
  id: string;
  area: Area;
  version: CheckVersion;
  title: string;
  /** Server-binding spec statements the check tests, e.g. `MQTT-3.3.1-2`. */
  rules: readonly string[];
  /** Floods, oversized or malformed packets: run only with --hostile. */
  hostile?: boolean;
  /** Why the broker's advertised capabilities make the check inapplicable, if they do. */
  requires?: (caps: Capabilities) => string | undefined;
  run(ctx: CheckContext): Promise<void>;
}

export interface CheckResult {
  id: string;
  area: Area;
  version: CheckVersion;
  title: string;
  rules: readonly string[];
  outcome: Outcome;
  /** For fail: what the broker did instead; for not supported / skip: why. */
  detail?: string;
  ms: number;
}

/** The broker did something the spec forbids; the message says what it did instead. */
export class CheckFailed extends Error {}
/** The broker declines an optional feature in a way the spec allows. */
export class NotSupported extends Error {}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

/** What the broker announces (5.0 CONNACK) or what the spec implies when it does not. */
export interface Capabilities {
  v4: boolean;
  v5: boolean;
  /** How the broker refused 5.0, when it did. */
  v5Refusal?: string;
  maximumQoS: 0 | 1 | 2;
  retainAvailable: boolean;
  maximumPacketSize?: number;
  topicAliasMaximum: number;
  receiveMaximum: number;
  sharedSubscriptionAvailable: boolean;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifierAvailable: boolean;
  serverKeepAlive?: number;
  /** The Session Expiry Interval the broker granted when asked for "never expires". */
  sessionExpiryMaximum?: number;
}
