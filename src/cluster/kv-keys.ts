// Listing a KV bucket's keys. The NATS client lists through an ordered consumer, and under
// load (several listings at once while a node is reaped) one was seen to stall for good, with
// a CONNECT waiting on it. A listing that makes no progress for a while is started again.
import type { KV } from '@nats-io/kv';
import { retrying } from './retry.js';

/** How long a listing may go without a key (or its end) before it counts as stalled. */
const IDLE_MS = 3000;
/** How long to keep trying. */
const RETRY_MS = 10_000;

export function listKeys(kv: KV, filter: string): Promise<string[]> {
  return retrying(() => listOnce(kv, filter), RETRY_MS);
}

async function listOnce(kv: KV, filter: string): Promise<string[]> {
  const keys: string[] = [];
  let stop = () => {};
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    const expire = () => {
      stop();
      reject(new Error(`listing the keys ${filter} stalled`));
    };
    timer = setTimeout(expire, IDLE_MS);
  });
  const listing = (async () => {
    const iterator = await kv.keys(filter);
    stop = () => iterator.stop();
    for await (const key of iterator) {
      keys.push(key);
      timer?.refresh();
    }
  })();
  listing.catch(() => {});
  try {
    await Promise.race([listing, stalled]);
    return keys;
  } finally {
    clearTimeout(timer);
  }
}
