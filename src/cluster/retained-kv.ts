// Retained messages of the whole cluster in one JetStream KV bucket (replicated), keyed by
// the escaped topic. Every node loads the bucket at start and watches it, so a subscriber
// on any node sees every node's retained messages, and an empty retained payload deletes
// the message everywhere [MQTT-3.3.1-6] [MQTT-3.3.1-7]. The bucket orders writes: every node
// applies them in revision order, so concurrent writes to one topic end the same everywhere.
import { type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import type { MessageRecord, RetainedChanges, RetainedStore } from '../broker/ports.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { keyToken, LONGEST_SUBJECT, subjectToTopic, topicToSubject } from './subject.js';

const LOAD_TIMEOUT_MS = 30_000;

/** The key of a topic: its escaped levels, or for a very long topic a hash (keyToken). */
function keyOf(topic: string): string {
  const key = topicToSubject('r', topic);
  return key.length <= LONGEST_SUBJECT - 100 ? key : `r.${keyToken(topic)}`;
}

export class KvRetainedStore implements RetainedStore {
  private readonly writes = new Set<Promise<unknown>>();
  private stop: (() => void) | undefined;
  private changes: RetainedChanges | undefined;
  /** Changes that came between load() returning and watch() being called. */
  private early: KvEntry[] | undefined;

  constructor(
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  /** Starts the bucket's watch; resolves with the current messages once they are all in. */
  async load(): Promise<MessageRecord[]> {
    const initial = new Map<string, MessageRecord>();
    const empty = (await this.kv.status()).values === 0;
    const watch = await this.kv.watch({ include: KvWatchInclude.LastValue });
    this.stop = () => watch.stop();
    let ready: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      ready = resolve;
      if (empty) resolve();
    });
    const loading = mapChanges(initial);
    (async () => {
      for await (const entry of watch) {
        if (this.changes !== undefined) this.apply(entry, this.changes);
        else if (this.early !== undefined) this.early.push(entry);
        else this.apply(entry, loading);
        if (entry.delta === 0) ready();
      }
    })().catch((err) => this.log.error({ err }, 'cluster: retained watch failed'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('cluster: retained messages did not load in time')),
        LOAD_TIMEOUT_MS,
      );
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    this.early = [];
    return [...initial.values()];
  }

  watch(changes: RetainedChanges): void {
    for (const entry of this.early ?? []) this.apply(entry, changes);
    this.early = undefined;
    this.changes = changes;
  }

  /** Topics of hashed keys seen so far: a deletion carries only its key. */
  private readonly hashed = new Map<string, string>();

  private topicOf(key: string): string | undefined {
    return key.startsWith('r.=H') ? this.hashed.get(key) : subjectToTopic('r', key);
  }

  private apply(entry: KvEntry, changes: RetainedChanges): void {
    try {
      if (entry.operation === 'PUT') {
        const message = decodeEnvelope(entry.value);
        if (entry.key.startsWith('r.=H')) this.hashed.set(entry.key, message.topic);
        changes.set(message);
        return;
      }
      const topic = this.topicOf(entry.key);
      this.hashed.delete(entry.key);
      if (topic !== undefined) changes.delete(topic);
    } catch (err) {
      this.log.warn({ key: entry.key, err }, 'cluster: unreadable retained message skipped');
    }
  }

  save(message: MessageRecord): void {
    this.track(this.kv.put(keyOf(message.topic), encodeEnvelope(message)));
  }

  delete(topic: string): void {
    this.track(this.kv.delete(keyOf(topic)));
  }

  private track(write: Promise<unknown>): void {
    const tracked = write.catch((err) => {
      this.log.error({ err }, 'cluster: retained write failed');
      throw err;
    });
    this.writes.add(tracked);
    tracked.then(
      () => this.writes.delete(tracked),
      () => this.writes.delete(tracked),
    );
  }

  /** Resolves once every write so far is in the bucket (replicated); rejects if one failed. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  stopWatching(): void {
    this.stop?.();
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.stopWatching();
  }
}

function mapChanges(map: Map<string, MessageRecord>): RetainedChanges {
  return {
    set: (message) => map.set(message.topic, message),
    delete: (topic) => map.delete(topic),
  };
}
