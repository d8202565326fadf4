// Which nodes are alive. Each node rewrites its key in the nodes bucket every heartbeat, with
// its figures; every node watches the bucket. A node silent for longer than the timeout is
// pinged, and if it does not answer, the surviving nodes race to mark its key as reaped by
// them (compare-and-set on the revision they saw): the one that wins reaps the node (adopting its sessions, sending the wills its clients left) and only
// then deletes the key. So a dead node's wills go out once, from one node, and a node counts
// as gone only when its sessions are somewhere again (durable acknowledgements wait so long).
// A reaper that dies while reaping leaves its mark; another node takes the reaping over.
import type { NatsConnection } from '@nats-io/transport-node';
import { type KV, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';

export interface NodeState {
  name: string;
  state: 'up' | 'silent';
  /** ms since its last heartbeat reached this node. */
  lastHeard: number;
  startedAt: number;
  figures: Record<string, number>;
}

interface Seen {
  revision: number;
  heardAt: number;
  startedAt: number;
  figures: Record<string, number>;
  checking: boolean;
  /** The node reaping this one, once it is found dead. */
  reapedBy: string | undefined;
}

export interface NodeWatchOptions {
  heartbeatMs: number;
  nodeTimeoutMs: number;
}

export class NodeWatch {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly nodeName: string,
    private readonly ping: (node: string) => string,
    private readonly options: NodeWatchOptions,
    private readonly log: Logger,
  ) {}

  private reap: (node: string) => Promise<void> = async () => {};

  async start(
    figures: () => Record<string, number>,
    reap: (node: string) => Promise<void>,
  ): Promise<void> {
    this.reap = reap;
    const watch = await this.kv.watch({ include: KvWatchInclude.LastValue });
    this.stopWatch = () => watch.stop();
    (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') this.seen.delete(entry.key);
        else this.heard(entry.key, entry.revision, entry.json());
      }
    })().catch((err) => this.log.error({ err }, 'cluster: node watch failed'));
    const beat = () => {
      const value = { startedAt: this.startedAt, pid: process.pid, figures: figures() };
      this.kv.put(this.nodeName, JSON.stringify(value)).catch(() => {});
      this.check(reap);
    };
    beat();
    this.timer = setInterval(beat, this.options.heartbeatMs);
    this.timer.unref();
  }

  private heard(
    name: string,
    revision: number,
    value: { startedAt?: number; figures?: Record<string, number>; reapedBy?: string },
  ): void {
    const known = this.seen.get(name);
    this.seen.set(name, {
      revision,
      heardAt: Date.now(),
      startedAt: value.startedAt ?? known?.startedAt ?? 0,
      figures: value.figures ?? known?.figures ?? {},
      checking: known?.checking ?? false,
      reapedBy: value.reapedBy,
    });
  }

  /** Being reaped by a node that is itself still there. */
  private beingReaped(seen: Seen): boolean {
    if (seen.reapedBy === undefined) return false;
    const reaper = this.seen.get(seen.reapedBy);
    return reaper !== undefined && reaper.reapedBy === undefined;
  }

  /**
   * Another node's session hand-over found `name` not answering: check it now rather than at
   * the next heartbeat timeout, so that acknowledgements stop waiting for it sooner.
   */
  async suspect(name: string): Promise<void> {
    const seen = this.seen.get(name);
    if (seen === undefined || seen.checking || this.beingReaped(seen) || name === this.nodeName)
      return;
    seen.checking = true;
    await this.confirmDead(name, seen, this.reap).finally(() => {
      seen.checking = false;
    });
  }

  private check(reap: (node: string) => Promise<void>): void {
    const now = Date.now();
    for (const [name, seen] of this.seen) {
      if (
        name === this.nodeName ||
        seen.checking ||
        now - seen.heardAt < this.options.nodeTimeoutMs ||
        this.beingReaped(seen)
      )
        continue;
      seen.checking = true;
      this.confirmDead(name, seen, reap).finally(() => {
        seen.checking = false;
      });
    }
  }

  private async confirmDead(
    name: string,
    seen: Seen,
    reap: (node: string) => Promise<void>,
  ): Promise<void> {
    const alive = await this.nc
      .request(this.ping(name), '', { timeout: 1000 })
      .then(() => true)
      .catch(() => false);
    if (alive) {
      seen.heardAt = Date.now();
      return;
    }
    let revision: number;
    try {
      const mark = JSON.stringify({ reapedBy: this.nodeName });
      revision = await this.kv.update(name, mark, seen.revision);
    } catch {
      return; // another node reaped it first, or it came back
    }
    this.log.warn({ lost: name }, 'cluster: node lost; sending its clients\u2019 wills');
    await reap(name);
    // Unless it came back meanwhile (its heartbeat rewrote the key).
    await this.kv.delete(name, { previousSeq: revision }).catch(() => {});
  }

  /** Every node known, this one included, with its state and figures. */
  nodes(): NodeState[] {
    const now = Date.now();
    return [...this.seen].map(([name, s]) => ({
      name,
      state:
        s.reapedBy === undefined && now - s.heardAt < this.options.nodeTimeoutMs ? 'up' : 'silent',
      lastHeard: now - s.heardAt,
      startedAt: s.startedAt,
      figures: s.figures,
    }));
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopWatch?.();
  }
}
