// Checks are declared once with their rule ids per protocol version; one Check is made for
// each version that has rule ids (the numbering differs between 3.1.1 and 5.0).
import type { CheckContext } from './context.js';
import type { Area, Capabilities, Check, CheckVersion } from './types.js';

export interface CheckSpec {
  id: string;
  title: string;
  rules: { 4?: readonly string[]; 5?: readonly string[] };
  hostile?: boolean;
  requires?: (caps: Capabilities, version: CheckVersion) => string | undefined;
  run(ctx: CheckContext): Promise<void>;
}

export function defineChecks(area: Area, specs: readonly CheckSpec[]): Check[] {
  return specs.flatMap((spec) =>
    ([4, 5] as const)
      .filter((version) => spec.rules[version] !== undefined)
      .map((version) => ({
        id: `${area}.${spec.id}`,
        area,
        version,
        title: spec.title,
        rules: spec.rules[version]!,
        hostile: spec.hostile,
        requires: spec.requires && ((caps: Capabilities) => spec.requires!(caps, version)),
        run: spec.run,
      })),
  );
}

/** requires(): the broker must grant QoS 2 (5.0 Maximum QoS). */
export const needsQoS2 = (caps: Capabilities, version: CheckVersion) =>
  version === 5 && caps.maximumQoS < 2 ? `Maximum QoS ${caps.maximumQoS}` : undefined;

export const needsQoS1 = (caps: Capabilities, version: CheckVersion) =>
  version === 5 && caps.maximumQoS < 1 ? 'Maximum QoS 0' : undefined;

export const needsRetain = (caps: Capabilities, version: CheckVersion) =>
  version === 5 && !caps.retainAvailable ? 'Retain Available 0' : undefined;

export const needsWildcards = (caps: Capabilities, version: CheckVersion) =>
  version === 5 && !caps.wildcardSubscriptionAvailable
    ? 'Wildcard Subscription Available 0'
    : undefined;

export const needsShared = (caps: Capabilities) =>
  caps.sharedSubscriptionAvailable ? undefined : 'Shared Subscription Available 0';

export const needsSubscriptionIds = (caps: Capabilities) =>
  caps.subscriptionIdentifierAvailable ? undefined : 'Subscription Identifier Available 0';

export const needsTopicAliases = (caps: Capabilities) =>
  caps.topicAliasMaximum > 0 ? undefined : 'no Topic Alias Maximum in CONNACK';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
