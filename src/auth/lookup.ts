// What every external auth source (PostgreSQL, Redis, LDAP, a JWKS endpoint) shares: a bound on
// the time of one query and on the queries in flight, a bounded cache of answers with a TTL
// (negative answers kept briefly), the sharing of identical queries in flight, and the figures
// an operator watches (requests, allow, deny, errors, latency).
import type { AuthSourceFigures } from '../broker/admin-wire.js';
import { optionalChoice, optionalInteger, type PlainObject } from './options.js';

/** What a source failure means: refuse ('deny'), or leave the decision to the next source. */
export type OnError = 'deny' | 'ignore';

export interface LookupOptions {
  /** One query, in ms; default 5000. */
  timeoutMs?: number;
  /** How long an answer is reused, in ms; default 60000, 0 turns the cache off. */
  cacheTtlMs?: number;
  /** How long "no such user" or "no rules" is reused, in ms; default 5000. */
  negativeTtlMs?: number;
  /** The cache's bound; the oldest entry goes first. Default 10000. */
  cacheMaxEntries?: number;
  /** Queries in flight at once; beyond this a request fails at once (onError). Default 1000. */
  maxPending?: number;
  /** The clock, in ms; tests set it. */
  now?: () => number;
}

export const LOOKUP_KEYS = [
  'timeoutMs',
  'cacheTtlMs',
  'negativeTtlMs',
  'cacheMaxEntries',
  'maxPending',
  'onError',
] as const;

export function parseLookupOptions(object: PlainObject, path: string) {
  return {
    timeoutMs: optionalInteger(object, 'timeoutMs', path, 1, 600_000),
    cacheTtlMs: optionalInteger(object, 'cacheTtlMs', path, 0),
    negativeTtlMs: optionalInteger(object, 'negativeTtlMs', path, 0),
    cacheMaxEntries: optionalInteger(object, 'cacheMaxEntries', path, 1),
    maxPending: optionalInteger(object, 'maxPending', path, 1),
    onError: optionalChoice(object, 'onError', path, ['deny', 'ignore'] as const) ?? 'deny',
  };
}

export class SourceError extends Error {
  override name = 'SourceError';
}

/** The counters of one source; the authenticator and authorizer of a source share them. */
export class SourceStats implements AuthSourceFigures {
  requests = 0;
  allow = 0;
  deny = 0;
  errors = 0;
  cacheHits = 0;
  queries = 0;
  latencySecondsSum = 0;
  latencySecondsMax = 0;

  constructor(
    readonly name: string,
    readonly onError: OnError,
  ) {}

  /** Counts one decision: an error is counted apart from the deny or abstention it led to. */
  decided(decision: 'allow' | 'deny' | 'ignore' | 'error'): void {
    if (decision === 'allow') this.allow++;
    else if (decision === 'deny') this.deny++;
    else if (decision === 'error') this.errors++;
  }

  figures(): AuthSourceFigures {
    const { name, onError, requests, allow, deny, errors, cacheHits, queries } = this;
    const { latencySecondsSum, latencySecondsMax } = this;
    return {
      name,
      onError,
      requests,
      allow,
      deny,
      errors,
      cacheHits,
      queries,
      latencySecondsSum,
      latencySecondsMax,
    };
  }
}

type Entry<T> = { value: T; expires: number };

/** A bounded map whose entries expire; expired ones stay until pushed out, for staleOnError. */
export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry, fresh or not. */
  entry(key: string): Entry<T> | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T, expires: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries)
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires });
  }

  clear(): void {
    this.entries.clear();
  }
}

export type Answer<T> = { value: T; stale?: boolean } | { error: string };

/** Asks a source through the cache; `negative` tells a "nothing found" answer. */
export class Lookup<T> {
  private readonly cache: TtlCache<T>;
  private readonly inFlight = new Map<string, Promise<Answer<T>>>();

  constructor(
    readonly stats: SourceStats,
    private readonly options: LookupOptions,
    private readonly negative: (value: T) => boolean,
  ) {
    this.cache = new TtlCache(options.cacheMaxEntries ?? 10_000);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private peek(key: string): T | undefined {
    const entry = this.cache.entry(key);
    return entry && entry.expires > this.now() ? entry.value : undefined;
  }

  /** A fresh cached answer, synchronously (the fast path of authorizers), counted as a request. */
  cached(key: string): T | undefined {
    const value = this.peek(key);
    if (value !== undefined) {
      this.stats.requests++;
      this.stats.cacheHits++;
    }
    return value;
  }

  /** The last answer, fresh or expired; not counted. */
  latest(key: string): T | undefined {
    return this.cache.entry(key)?.value;
  }

  /**
   * The answer for `key`, from the cache or from `query`. Never throws. With `staleOnError`, a
   * failed query answers with the expired entry when there is one (connected clients keep the
   * rules they had while the source is down).
   */
  async get(key: string, query: () => Promise<T>, staleOnError = false): Promise<Answer<T>> {
    const fresh = this.cached(key);
    if (fresh !== undefined) return { value: fresh };
    this.stats.requests++;
    let pending = this.inFlight.get(key);
    if (!pending) {
      if (this.inFlight.size >= (this.options.maxPending ?? 1000)) {
        return { error: 'too many queries in flight' };
      }
      pending = this.run(key, query).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const answer = await pending;
    const stale = this.cache.entry(key);
    if ('error' in answer && staleOnError && stale) return { value: stale.value, stale: true };
    return answer;
  }

  clear(): void {
    this.cache.clear();
  }

  private async run(key: string, query: () => Promise<T>): Promise<Answer<T>> {
    const started = performance.now();
    this.stats.queries++;
    try {
      const value = await withTimeout(query(), this.options.timeoutMs ?? 5_000);
      this.remember(key, value);
      return { value };
    } catch (error) {
      return { error: describeError(error) };
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.stats.latencySecondsSum += seconds;
      if (seconds > this.stats.latencySecondsMax) this.stats.latencySecondsMax = seconds;
    }
  }

  private remember(key: string, value: T): void {
    const ttl = this.negative(value)
      ? (this.options.negativeTtlMs ?? 5_000)
      : (this.options.cacheTtlMs ?? 60_000);
    if (ttl > 0) this.cache.set(key, value, this.now() + ttl);
  }
}

/** Rejects with "timeout" after `ms`; the late answer, if any, is dropped. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceError(`timeout after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A one-line reason for the log and the CONNACK Reason String, without secrets. */
function describeError(error: unknown): string {
  const { message, code } = error as Error & { code?: string };
  const text = message || String(error);
  return code && !text.includes(code) ? `${code} ${text}` : text;
}
