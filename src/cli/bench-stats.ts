// Measurement for `culex bench`: a latency histogram, counters, the live line printed every
// second and the final summary.

/** Log-linear histogram of microsecond values: about 1 % resolution, any range. */
export class Histogram {
  readonly #buckets = new Float64Array(2_400);
  #count = 0;
  #max = 0;

  record(micros: number): void {
    const value = Math.max(0, micros);
    const index = Math.min(this.#buckets.length - 1, Math.floor(Math.log1p(value) * 100));
    this.#buckets[index]!++;
    this.#count++;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  /** The value at quantile q (0..1), to the bucket's resolution. */
  percentile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.expm1((i + 1) / 100));
    }
    return this.#max;
  }

  summary(): { p50: number; p90: number; p99: number; max: number } {
    const round = (v: number) => Math.round(v);
    return {
      p50: round(this.percentile(0.5)),
      p90: round(this.percentile(0.9)),
      p99: round(this.percentile(0.99)),
      max: round(this.#max),
    };
  }
}

/** Microseconds on a clock shared by processes on one machine (for end-to-end latency). */
export const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;

export interface Counters {
  /** Messages sent (pub), received (sub) or connections made (conn). */
  done: number;
  connected: number;
  errors: number;
  /** Date.now() when the counted activity began, if the scenario knows it better than a tick. */
  firstAt?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

/**
 * Prints one line per second: rate over that second, total, connected, errors. Tracks the
 * measured window, which starts after `warmupSeconds` of activity, for the summary's rate.
 */
export class Reporter {
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #started = Date.now();
  #last = 0;
  #windowStart: { time: number; done: number } | undefined;
  #windowEnd: { time: number; done: number } | undefined;
  #firstActivity: number | undefined;

  constructor(
    private readonly label: string,
    private readonly counters: Counters,
    private readonly clients: number,
    private readonly warmupSeconds: number,
    private readonly quiet: boolean,
  ) {
    this.#timer = setInterval(() => this.#tick(), 1_000);
  }

  #tick(): void {
    const { done, connected, errors } = this.counters;
    const now = Date.now();
    if (this.#firstActivity === undefined && done > 0)
      this.#firstActivity = this.counters.firstAt ?? now;
    if (this.#windowStart === undefined && this.#firstActivity !== undefined) {
      // Half a tick of slack: a timer that fires a little early must not skip a whole second.
      if (now - this.#firstActivity >= this.warmupSeconds * 1000 - 500)
        this.#windowStart = { time: now, done };
    }
    if (done > this.#last || this.#windowEnd === undefined) this.#windowEnd = { time: now, done };
    const seconds = Math.round((now - this.#started) / 1000);
    if (!this.quiet) {
      const rate = done - this.#last;
      process.stderr.write(
        `[${String(seconds).padStart(4)}s] ${this.label}: rate ${fmt(rate)}/s, total ${fmt(done)}, ` +
          `connected ${connected}/${this.clients}, errors ${errors}\n`,
      );
    }
    this.#last = done;
  }

  /**
   * Stops the live line; returns the rate over the measured window (or the whole run).
   * `activity` (Date.now() of the first and last counted events) makes the window exact: it
   * ends with the last event, and a window too short to mean much becomes the whole run.
   */
  stop(activity?: { first: number; last: number }): RunResult {
    clearInterval(this.#timer);
    this.#tick();
    let start = this.#windowStart ?? { time: this.#firstActivity ?? this.#started, done: 0 };
    let end = this.#windowEnd ?? { time: Date.now(), done: this.counters.done };
    let warmedUp = this.#windowStart !== undefined;
    if (activity && activity.last > activity.first) {
      end = { time: activity.last, done: this.counters.done };
      const short = end.time - start.time < 1_000;
      if (!this.#windowStart || short) {
        start = { time: activity.first, done: 0 };
        warmedUp = false;
      }
    }
    const seconds = Math.max(0.001, (end.time - start.time) / 1000);
    const first = activity?.first ?? this.#firstActivity ?? this.#started;
    const duration = Math.max(0, ((activity?.last ?? end.time) - first) / 1000);
    const warmup = warmedUp ? this.warmupSeconds : 0;
    return { rate: (end.done - start.done) / seconds, seconds, duration, warmup };
  }
}

/** The measured rate, over `seconds` after `warmup` s, of a run that lasted `duration` s. */
export interface RunResult {
  rate: number;
  seconds: number;
  duration: number;
  warmup: number;
}

/** The summary lines every scenario prints for its rate and how long it ran. */
export function rateLines(result: RunResult): [string, string][] {
  const rate = `${Math.round(result.rate).toLocaleString('en')} msg/s`;
  const window = result.warmup > 0 ? ` after ${result.warmup} s of warm-up` : '';
  return [
    ['rate', `${rate} over ${result.seconds.toFixed(1)} s${window}`],
    ['duration', `${result.duration.toFixed(1)} s`],
  ];
}

export function formatSummary(
  title: string,
  lines: [string, string | number][],
  latency?: { label: string; histogram: Histogram },
): string {
  const out = [title];
  for (const [name, value] of lines)
    out.push(`  ${name.padEnd(14)} ${typeof value === 'number' ? fmt(value) : value}`);
  if (latency && latency.histogram.count > 0) {
    const s = latency.histogram.summary();
    out.push(
      `  ${latency.label.padEnd(14)} p50 ${fmt(s.p50)} µs, p90 ${fmt(s.p90)} µs, p99 ${fmt(s.p99)} µs, max ${fmt(s.max)} µs`,
    );
  }
  return `${out.join('\n')}\n`;
}
