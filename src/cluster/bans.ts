// Bans are the cluster's: a ban made through any node's API is kept in a KV bucket that every
// node watches, so each node refuses the client at CONNECT and disconnects it if connected;
// lifting it anywhere lifts it everywhere. The bucket also gives a restarting node the bans.
import { type KV, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import type { Ban, BanKind, ClusterSink } from '../broker/ports.js';
import { keyToken } from './subject.js';

export class ClusterBans {
  /** Keys seen, back to what they ban: a deletion carries no value (keys may be hashed). */
  private readonly keys = new Map<string, { kind: BanKind; value: string }>();
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  /** Applies every ban kept, then follows changes. */
  async start(sink: ClusterSink): Promise<void> {
    const watch = await this.kv.watch({ include: KvWatchInclude.LastValue });
    this.stopWatch = () => watch.stop();
    (async () => {
      for await (const entry of watch) {
        if (entry.operation === 'PUT') {
          const ban = entry.json<Ban>();
          this.keys.set(entry.key, { kind: ban.kind, value: ban.value });
          sink.banChanged(ban.kind, ban.value, ban);
          continue;
        }
        const known = this.keys.get(entry.key);
        this.keys.delete(entry.key);
        if (known !== undefined) sink.banChanged(known.kind, known.value, undefined);
      }
    })().catch((err) => this.log.error({ err }, 'cluster: ban watch failed'));
  }

  private key(kind: BanKind, value: string): string {
    return `${kind}.${keyToken(value)}`;
  }

  ban(ban: Ban): void {
    this.kv
      .put(this.key(ban.kind, ban.value), JSON.stringify(ban))
      .catch((err) => this.log.error({ err: String(err) }, 'cluster: ban not kept'));
  }

  unban(kind: BanKind, value: string): void {
    this.kv
      .delete(this.key(kind, value))
      .catch((err) => this.log.error({ err: String(err) }, 'cluster: unban not kept'));
  }

  stop(): void {
    this.stopWatch?.();
  }
}
