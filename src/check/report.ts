// The report: text for people (per area, one line per check, what failed and why, then the
// capabilities and a summary) and JSON for machines.
import type { RunReport } from './runner.js';
import { AREAS, type Capabilities, type CheckResult, type Outcome } from './types.js';

const OUTCOMES: readonly Outcome[] = ['pass', 'fail', 'not supported', 'skip'];

export function summarize(results: readonly CheckResult[]): Record<Outcome, number> {
  const counts = { pass: 0, fail: 0, 'not supported': 0, skip: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}

const version = (v: number) => (v === 5 ? '5.0  ' : '3.1.1');
const rules = (r: CheckResult) => r.rules.map((id) => `[${id}]`).join(' ');

function line(r: CheckResult, caps: Capabilities): string {
  // Every 5.0 check of a broker without 5.0 says so; the capabilities above already do.
  if (r.version === 5 && !caps.v5) r = { ...r, detail: undefined };
  const head = `  ${r.outcome.padEnd(13)} ${version(r.version)} ${r.title} ${rules(r)}`;
  if (!r.detail) return head;
  // Failures say what the broker did: "→ broker kept the connection open".
  const subject = r.outcome !== 'fail' ? '' : r.detail.startsWith('expected') ? '→ ' : '→ broker ';
  return `${head}\n${' '.repeat(22)}${subject}${r.detail}`;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const orNone = (n: number | undefined) => (n === undefined ? 'not announced' : String(n));

export function capabilityLines(c: Capabilities): string[] {
  return [
    `  MQTT 3.1.1: ${yesNo(c.v4)}, MQTT 5.0: ${c.v5 ? 'yes' : `no (${c.v5Refusal})`}`,
    ...(c.v5
      ? [
          `  Maximum QoS: ${c.maximumQoS}, Retain Available: ${yesNo(c.retainAvailable)}, Maximum Packet Size: ${orNone(c.maximumPacketSize)}`,
          `  Topic Alias Maximum: ${c.topicAliasMaximum}, Receive Maximum: ${c.receiveMaximum}, Server Keep Alive: ${orNone(c.serverKeepAlive)}`,
          `  Shared Subscriptions: ${yesNo(c.sharedSubscriptionAvailable)}, Wildcard Subscriptions: ${yesNo(c.wildcardSubscriptionAvailable)}, Subscription Identifiers: ${yesNo(c.subscriptionIdentifierAvailable)}`,
          `  Session Expiry Interval granted for "never": ${c.sessionExpiryMaximum === undefined ? 'as asked' : c.sessionExpiryMaximum}`,
        ]
      : []),
  ];
}

export function formatText(report: RunReport): string {
  const out = [
    `culex check ${report.target}`,
    'capabilities:',
    ...capabilityLines(report.capabilities),
  ];
  for (const area of AREAS) {
    const results = report.results.filter((r) => r.area === area);
    if (results.length === 0) continue;
    out.push('', area, ...results.map((r) => line(r, report.capabilities)));
  }
  const counts = summarize(report.results);
  const parts = OUTCOMES.map((o) => `${counts[o]} ${o}`).join(', ');
  out.push(
    '',
    `summary: ${report.results.length} checks: ${parts} (${(report.ms / 1000).toFixed(1)} s)`,
  );
  return `${out.join('\n')}\n`;
}

export function formatJson(report: RunReport): string {
  return `${JSON.stringify({ ...report, summary: summarize(report.results) }, null, 2)}\n`;
}
