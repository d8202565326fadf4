// Listing and removing a KV bucket's keys. The NATS client lists through a consumer and takes
// its pending count, or an idle heartbeat, as the end: against a clustered nats-server 2.9
// under load that listing came back empty for an existing key about once in thirty (a session
// not found where it was stored), or short of keys. The stream's leader knows its subjects:
// one key per subject, listed in its stream info (paged by the client).
import { Bucket, type KV } from '@nats-io/kv';
import { retrying } from './retry.js';

/** How long to keep trying (a stream may be electing a leader). */
const RETRY_MS = 10_000;

/**
 * The keys matching `filter`, deleted ones included (a delete is a marker in the stream):
 * callers read each key and skip those.
 */
export async function listKeys(kv: KV, filter: string): Promise<string[]> {
  const bucket = asBucket(kv);
  const prefix = `${bucket.prefix}.`;
  const info = await retrying(
    () => bucket.jsm.streams.info(bucket.stream, { subjects_filter: `${prefix}${filter}` }),
    RETRY_MS,
  );
  return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
}

/**
 * Removes a key for good: its subject is purged from the stream. A KV delete leaves a marker
 * per key forever, and the keys of a session's messages are new with every message: the
 * sessions bucket (which nobody watches) would grow with every message ever stored.
 */
export async function removeKey(kv: KV, key: string): Promise<void> {
  const bucket = asBucket(kv);
  await bucket.jsm.streams.purge(bucket.stream, { filter: bucket.subjectForKey(key) });
}

/** The stream behind a KV handle (the client's KV is a Bucket, which exposes it). */
function asBucket(kv: KV): Bucket {
  if (!(kv instanceof Bucket)) throw new Error('culex: a KV bucket of @nats-io/kv is needed');
  return kv;
}
