// Bans are the cluster's: a ban made through any node's API is kept in a KV bucket that every
// node watches, so each node refuses the client at CONNECT and disconnects it if connected;
// lifting it anywhere lifts it everywhere. The bucket also gives a restarting node the bans.
import type { KV } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import type { Ban, BanKind, ClusterSink } from '../broker/ports.js';
import { followBucket } from './kv-follow.js';
import { keyToken } from './subject.js';

export class ClusterBans {
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  /** Applies every ban kept, then follows changes. */
  async start(sink: ClusterSink): Promise<void> {
    this.stopWatch = await followBucket(
      this.kv,
      this.log,
      'ban',
      (entry) => entry.json<Ban>(),
      (_key, ban, before) => {
        if (ban !== undefined) sink.banChanged(ban.kind, ban.value, ban);
        else if (before !== undefined) sink.banChanged(before.kind, before.value, undefined);
      },
    );
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
