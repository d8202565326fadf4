// Per rule and per action counters (EMQX's names: matched, passed, failed.exception,
// failed.no_result, actions.success / failed / dropped / queued) and the matched rate.

export interface ActionCounters {
  success: number;
  failed: number;
  dropped: number;
  queued: number;
}

export class RuleMetrics {
  matched = 0;
  passed = 0;
  failedException = 0;
  failedNoResult = 0;
  /** Outputs handed to actions (one per action and output). */
  actionsTotal = 0;
  /** Rate of `matched` per second over the last sampling second, and its maximum. */
  rate = 0;
  rateMax = 0;
  private lastMatched = 0;
  private lastSample = Date.now();

  reset(): void {
    this.matched = this.passed = this.failedException = this.failedNoResult = 0;
    this.actionsTotal = this.rate = this.rateMax = this.lastMatched = 0;
  }

  /** Called once a second by the engine. */
  sample(now: number): void {
    const seconds = Math.max(0.001, (now - this.lastSample) / 1000);
    this.rate = Math.round(((this.matched - this.lastMatched) / seconds) * 100) / 100;
    if (this.rate > this.rateMax) this.rateMax = this.rate;
    this.lastMatched = this.matched;
    this.lastSample = now;
  }
}

/** The figures the API, /metrics and the dashboard show for one rule. */
export interface RuleFigures {
  matched: number;
  passed: number;
  failed: { exception: number; no_result: number };
  actions: { total: number } & ActionCounters;
  rate: number;
  rateMax: number;
}

export function ruleFigures(m: RuleMetrics, actions: readonly ActionCounters[]): RuleFigures {
  const sum = (key: keyof ActionCounters) => actions.reduce((n, a) => n + a[key], 0);
  return {
    matched: m.matched,
    passed: m.passed,
    failed: { exception: m.failedException, no_result: m.failedNoResult },
    actions: {
      total: m.actionsTotal,
      success: sum('success'),
      failed: sum('failed'),
      dropped: sum('dropped'),
      queued: sum('queued'),
    },
    rate: m.rate,
    rateMax: m.rateMax,
  };
}
