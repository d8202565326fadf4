// Redeliveries this node heard lately, by the node they are for (ClusterNode.redeliver). A
// session on its way between nodes when one goes out is in no node's memory: handed over,
// taken from a dead node's store, or on a node that is restarting. It catches up where it
// arrives, on those for the nodes that held it (ClusterNode.adopt); what it has is skipped.
import type { ClusterMessage } from './ports.js';

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

  /** `at`: when they went out (a node that restarts reads those of the last window). */
  remember(node: string, messages: readonly ClusterMessage[], at: number): void {
    const kept = this.byNode.get(node) ?? [];
    for (const message of messages) kept.push({ at, message });
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

  private prune(now: number): void {
    for (const [node, kept] of this.byNode) {
      let old = 0;
      while (old < kept.length && now - kept[old]!.at >= REDELIVERY_WINDOW_MS) old++;
      old = Math.max(old, kept.length - MAX_PER_NODE);
      if (old === kept.length) this.byNode.delete(node);
      else if (old > 0) this.byNode.set(node, kept.slice(old));
    }
  }
}
