// Runs checks: a few at a time, each bounded in time, each with its own topics and client
// ids under a prefix unique to the run, and each cleaned up after (retained messages,
// sessions, connections) whatever its outcome.
import { randomBytes } from 'node:crypto';
import { probeCapabilities } from './capabilities.js';
import { CheckContext, type RunSettings } from './context.js';
import { RateLimit } from './rate.js';
import {
  type Area,
  type Capabilities,
  type Check,
  CheckFailed,
  type CheckResult,
  type CheckVersion,
  NotSupported,
  type Outcome,
} from './types.js';
import type { Target } from './wire.js';

export interface RunOptions {
  target: Target;
  checks: readonly Check[];
  areas?: readonly Area[];
  versions?: readonly CheckVersion[];
  hostile?: boolean;
  /** Answer timeout in ms; silence is awaited for a fifth of it. */
  timeout?: number;
  /** Connections opened plus packets sent per second, at most. */
  rate?: number;
  concurrency?: number;
  clientIdPrefix?: string;
  /** Called as each check ends, in completion order. */
  onResult?: (result: CheckResult) => void;
}

export interface RunReport {
  target: string;
  capabilities: Capabilities;
  results: CheckResult[];
  ms: number;
}

export const DEFAULT_TIMEOUT = 2_000;
export const DEFAULT_RATE = 1_000;
const DEFAULT_CONCURRENCY = 8;

export async function runChecks(options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const rate = new RateLimit(options.rate ?? DEFAULT_RATE);
  const runId = randomBytes(3).toString('hex');
  const clientIdPrefix = `${options.clientIdPrefix ?? 'cx'}${runId}-`;
  const caps = await probeCapabilities({
    target: options.target,
    rate,
    timeout,
    clientId: `${clientIdPrefix}probe`,
  });
  const settings: RunSettings = {
    target: options.target,
    timeout,
    quiet: Math.max(100, Math.round(timeout / 5)),
    rate,
    caps,
    clientIdPrefix,
    topicPrefix: `culex-check/${runId}`,
  };
  const selected = options.checks.filter(
    (c) =>
      (options.areas === undefined || options.areas.includes(c.area)) &&
      (options.versions === undefined || options.versions.includes(c.version)),
  );
  const results = new Array<CheckResult>(selected.length);
  let next = 0;
  const worker = async () => {
    while (next < selected.length) {
      const index = next++;
      results[index] = await runOne(settings, selected[index]!, index, options.hostile ?? false);
      options.onResult?.(results[index]!);
    }
  };
  const workers = Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, selected.length);
  await Promise.all(Array.from({ length: workers }, worker));
  const target = options.target.url.href;
  return { target, capabilities: caps, results, ms: Math.round(performance.now() - started) };
}

/** Why a check does not run against this broker, if it does not. */
function precondition(check: Check, caps: Capabilities, hostile: boolean) {
  if (check.hostile && !hostile) return { outcome: 'skip' as const, detail: 'needs --hostile' };
  if (check.version === 5 && !caps.v5)
    return { outcome: 'not supported' as const, detail: `MQTT 5.0: ${caps.v5Refusal}` };
  const missing = check.requires?.(caps);
  if (missing) return { outcome: 'not supported' as const, detail: missing };
  return undefined;
}

async function runOne(settings: RunSettings, check: Check, index: number, hostile: boolean) {
  const started = performance.now();
  const done = (outcome: Outcome, detail?: string): CheckResult => ({
    id: check.id,
    area: check.area,
    version: check.version,
    title: check.title,
    rules: check.rules,
    outcome,
    detail,
    ms: Math.round(performance.now() - started),
  });
  const skipped = precondition(check, settings.caps, hostile);
  if (skipped) return done(skipped.outcome, skipped.detail);
  const ctx = new CheckContext(settings, check, index);
  // Generous: checks wait for several answers and a keep-alive expiry or two in sequence.
  const limit = settings.timeout * 5 + 5_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`did not finish within ${limit} ms`)), limit);
  });
  try {
    await Promise.race([check.run(ctx), deadline]);
    return done('pass');
  } catch (err) {
    if (err instanceof NotSupported) return done('not supported', err.message);
    if (err instanceof CheckFailed) return done('fail', err.message);
    return done('fail', `check error: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    await ctx.cleanup().catch(() => {});
  }
}
