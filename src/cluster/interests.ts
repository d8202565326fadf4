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
        const subscriptions = subjects().map((s) => this.nc.subscribe(s, options()));
        this.byKey.set(key, { count: 1, subscriptions });
      }
      return;
    }
    if (interest === undefined || --interest.count > 0) return;
    this.byKey.delete(key);
    for (const sub of interest.subscriptions) sub.unsubscribe();
  }
}
