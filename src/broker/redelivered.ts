// Redeliveries this node heard lately, by the node they are for (ClusterNode.redeliver). A
// session on its way between nodes when one goes out is in no node's memory: handed over,
// taken from a dead node's store, or on a node that is restarting. It catches up where it
// arrives, on those for the nodes that held it (ClusterNode.adopt); what it has is skipped.
// A redelivery can also reach a node before the message's own copy does (has).
import type { ClusterMessage } from './ports.js';
import { sameMessage } from './qos2-seen.js';

/**
 * How long a redelivery is kept. Well inside the minute a session remembers the ids it got
 * (recent-ids.ts WINDOW_MS), so that a late catch-up never brings a QoS 2 message twice; and
 * well over the few seconds a session takes to move, or a killed node to come back.
 */
export const REDELIVERY_WINDOW_MS = 30_000;
/** Messages kept at most per node: the oldest go first. */
const MAX_PER_NODE = 10_000;

interface Kept {
  at: number;
  message: ClusterMessage;
}

export class Redelivered {
  private readonly byNode = new Map<string, Kept[]>();
  /** How many of the kept messages have each id (as its first copy's, sameMessage). */
  private readonly ids = new Map<string, number>();

  /** `at`: when they went out (a node that restarts reads those of the last window). */
  remember(node: string, messages: readonly ClusterMessage[], at: number): void {
    const kept = this.byNode.get(node) ?? [];
    for (const message of messages) {
      kept.push({ at, message });
      if (message.id === undefined) continue;
      const id = sameMessage(message.id);
      this.ids.set(id, (this.ids.get(id) ?? 0) + 1);
    }
    this.byNode.set(node, kept);
    this.prune(at);
  }

  /** What was redelivered lately for any of `nodes`, oldest first per node. */
  *for(nodes: readonly string[], now: number): Generator<ClusterMessage> {
    this.prune(now);
    for (const node of new Set(nodes)) {
      for (const { message } of this.byNode.get(node) ?? []) yield message;
    }
  }

  /**
   * Whether a message with this id was redelivered lately. Its own copy may come after: sent
   * at once to a node that was already reaped, the redelivery goes through JetStream, and
   * that can be the faster way. One check of a map's size while there are none.
   */
  has(id: string): boolean {
    return this.ids.size > 0 && this.ids.has(sameMessage(id));
  }

  private prune(now: number): void {
    for (const [node, kept] of this.byNode) {
      let old = 0;
      while (old < kept.length && now - kept[old]!.at >= REDELIVERY_WINDOW_MS) old++;
      old = Math.max(old, kept.length - MAX_PER_NODE);
      for (let i = 0; i < old; i++) this.forget(kept[i]!.message.id);
      if (old === kept.length) this.byNode.delete(node);
      else if (old > 0) this.byNode.set(node, kept.slice(old));
    }
  }

  private forget(id: string | undefined): void {
    if (id === undefined) return;
    id = sameMessage(id);
    const count = this.ids.get(id)! - 1;
    if (count > 0) this.ids.set(id, count);
    else this.ids.delete(id);
  }
}
