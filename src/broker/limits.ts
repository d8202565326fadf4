// Admission and overload protection: connection caps (total, per IP), connection rate,
// flapping clients, a memory high-water mark, and per-client publish rate and bandwidth.
import { getHeapStatistics } from 'node:v8';
import { ReasonCode } from '../protocol/constants.js';
import type { BrokerOptions } from './options.js';

export interface LimitOptions {
  /** Connections at most; 0: no limit. */
  maxConnections: number;
  /** Connections per remote address; 0: no limit. */
  maxConnectionsPerIp: number;
  /** New connections per second, broker-wide; 0: no limit. */
  maxConnectionRate: number;
  /** PUBLISH packets per second per client; beyond it the client's input is paused. 0: none. */
  maxPublishRate: number;
  /** Bytes per second per client, all packets; beyond it the input is paused. 0: none. */
  maxBytesRate: number;
  /** Resident memory in bytes above which new clients are refused; 0: 90 % of the V8 heap limit. */
  memoryHighWaterMark: number;
  /** More CONNECTs than this from one client id within flapWindow seconds bans it; 0: off (as in EMQX). */
  flapThreshold: number;
  flapWindow: number;
  /** Seconds a flapping client id stays banned. */
  flapBanDuration: number;
}

export const defaultLimitOptions: LimitOptions = {
  maxConnections: 100_000,
  maxConnectionsPerIp: 0,
  maxConnectionRate: 0,
  maxPublishRate: 0,
  maxBytesRate: 0,
  memoryHighWaterMark: 0,
  flapThreshold: 0,
  flapWindow: 60,
  flapBanDuration: 300,
};

/** A token bucket: `rate` per second, a burst of one second's worth. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.last = now;
  }

  /** Takes `n` tokens; returns 0, or the ms to wait until the debt is paid. */
  take(n: number, now: number): number {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}

export class Admission {
  private readonly perIp = new Map<string, number>();
  private readonly connectRate: TokenBucket | undefined;
  private readonly connects = new Map<string, number[]>();
  private readonly flapBans = new Map<string, number>();
  private overloaded = false;
  private readonly memoryMark: number;

  constructor(
    private readonly options: BrokerOptions,
    now: number,
  ) {
    this.connectRate =
      options.maxConnectionRate > 0 ? new TokenBucket(options.maxConnectionRate, now) : undefined;
    this.memoryMark = options.memoryHighWaterMark || getHeapStatistics().heap_size_limit * 0.9;
  }

  /** Memory is above the high-water mark: refuse new clients, shed slow consumers. */
  get isOverloaded(): boolean {
    return this.overloaded;
  }

  /** A socket arrived; false: close it at once (far over the cap: not worth a CONNACK). */
  accepted(ip: string, open: number): boolean {
    const { maxConnections } = this.options;
    if (maxConnections > 0 && open >= maxConnections + Math.max(16, maxConnections / 10))
      return false;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    return true;
  }

  closed(ip: string): void {
    const count = (this.perIp.get(ip) ?? 1) - 1;
    if (count <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, count);
  }

  /** The reason to refuse a CONNECT, or undefined to go on. */
  refusal(clientId: string, ip: string, connected: number, now: number): number | undefined {
    const o = this.options;
    if (o.maxConnections > 0 && connected >= o.maxConnections) return ReasonCode.QuotaExceeded;
    if (o.maxConnectionsPerIp > 0 && (this.perIp.get(ip) ?? 0) > o.maxConnectionsPerIp)
      return ReasonCode.QuotaExceeded;
    if (this.overloaded) return ReasonCode.ServerBusy;
    if (this.connectRate !== undefined && this.connectRate.take(1, now) > 0)
      return ReasonCode.ConnectionRateExceeded;
    if (this.isFlapping(clientId, now)) return ReasonCode.Banned;
    return undefined;
  }

  /** Records a CONNECT; a client id reconnecting too often is banned for a while. */
  private isFlapping(clientId: string, now: number): boolean {
    const o = this.options;
    if (o.flapThreshold <= 0) return false;
    const bannedUntil = this.flapBans.get(clientId);
    if (bannedUntil !== undefined && bannedUntil > now) return true;
    const since = now - o.flapWindow * 1000;
    const times = (this.connects.get(clientId) ?? []).filter((t) => t > since);
    times.push(now);
    this.connects.set(clientId, times);
    if (times.length <= o.flapThreshold) return false;
    this.flapBans.set(clientId, now + o.flapBanDuration * 1000);
    this.connects.delete(clientId);
    return true;
  }

  /** Once a second: memory check, and forget old connect times and bans. */
  sweep(now: number): void {
    this.overloaded = process.memoryUsage.rss() > this.memoryMark;
    const since = now - this.options.flapWindow * 1000;
    for (const [clientId, times] of this.connects) {
      if (times[times.length - 1]! <= since) this.connects.delete(clientId);
    }
    for (const [clientId, until] of this.flapBans) if (until <= now) this.flapBans.delete(clientId);
  }
}

/** Per-client rate limits; present on a connection only when a limit is configured. */
export class ClientThrottle {
  private readonly publishes: TokenBucket | undefined;
  private readonly bytes: TokenBucket | undefined;

  constructor(options: BrokerOptions, now: number) {
    this.publishes =
      options.maxPublishRate > 0 ? new TokenBucket(options.maxPublishRate, now) : undefined;
    this.bytes = options.maxBytesRate > 0 ? new TokenBucket(options.maxBytesRate, now) : undefined;
  }

  static needed(options: BrokerOptions): boolean {
    return options.maxPublishRate > 0 || options.maxBytesRate > 0;
  }

  /** Ms to pause reading after this much input. */
  onBytes(n: number, now: number): number {
    return this.bytes?.take(n, now) ?? 0;
  }

  onPublish(now: number): number {
    return this.publishes?.take(1, now) ?? 0;
  }
}
