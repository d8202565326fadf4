// Following a KV bucket: every key's current value, then each change, in order. A deletion
// carries no value, so the last value of each key is kept to say what went.
import { type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';

/** Calls `changed` with a key's new value (undefined: deleted) and its value before; returns
 * the function that stops following. */
export async function followBucket<T>(
  kv: KV,
  log: Logger,
  what: string,
  parse: (entry: KvEntry) => T,
  changed: (key: string, value: T | undefined, before: T | undefined) => void,
): Promise<() => void> {
  const values = new Map<string, T>();
  const watch = await kv.watch({ include: KvWatchInclude.LastValue });
  (async () => {
    for await (const entry of watch) {
      const before = values.get(entry.key);
      const value = entry.operation === 'PUT' ? parse(entry) : undefined;
      if (value === undefined) values.delete(entry.key);
      else values.set(entry.key, value);
      if (value !== undefined || before !== undefined) changed(entry.key, value, before);
    }
  })().catch((err) => log.error({ err }, `cluster: ${what} watch failed`));
  return () => watch.stop();
}
