// NATS subscriptions counted by what asked for them: the first local subscription with a
// filter (or the first member of a shared group) subscribes its subjects, the last one to go
// unsubscribes them.
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

interface Interest {
  count: number;
  subscriptions: Subscription[];
}

export interface SubscribeOptions {
  queue?: string;
  callback: (err: unknown, msg: Msg) => void;
}

export class Interests {
  private readonly byKey = new Map<string, Interest>();

  constructor(private readonly nc: NatsConnection) {}

  change(
    key: string,
    delta: 1 | -1,
    subjects: () => string[],
    options: () => SubscribeOptions,
  ): void {
    const interest = this.byKey.get(key);
    if (delta === 1) {
      if (interest !== undefined) interest.count++;
      else {
        const subscriptions = subjects().map((s) => lighten(this.nc.subscribe(s, options())));
        this.byKey.set(key, { count: 1, subscriptions });
      }
      return;
    }
    if (interest === undefined || --interest.count > 0) return;
    this.byKey.delete(key);
    for (const sub of interest.subscriptions) sub.unsubscribe();
  }
}

/** What nats.js keeps in a subscription's pending promises: the promise and how to settle it. */
type Deferred = Promise<unknown> & { resolve(value?: unknown): void; reject(err?: unknown): void };

/** One promise, settled, for every subscription: settling it again does nothing. */
const SETTLED: Deferred = Object.assign(Promise.resolve(), { resolve() {}, reject() {} });

/** The fields nats.js (3.x) makes a pending promise of for each subscription. */
const DEFERRED_FIELDS = ['signal', 'iterClosed', 'closed'] as const;

const isDeferred = (value: unknown): value is Deferred =>
  value instanceof Promise && typeof (value as Deferred).resolve === 'function';

/**
 * nats.js gives every subscription three pending promises, each with its resolve and reject
 * functions (about 900 bytes of heap: with one subscription per connection, more than the
 * connection's own objects). With a callback nothing ever waits on them: nats.js only settles
 * them as the subscription ends, and `closed`, the one a caller could await, is read nowhere
 * here. They are swapped for one shared settled promise; a nats.js without these fields keeps
 * its own (test/cluster/interests.test.ts says so).
 */
export function lighten(subscription: Subscription): Subscription {
  const fields = subscription as unknown as Record<string, unknown>;
  for (const name of DEFERRED_FIELDS) if (isDeferred(fields[name])) fields[name] = SETTLED;
  return subscription;
}
