// What the node that won the race to reap a lost node does (node-watch.ts marks it first):
// the lost node's offline sessions, kept in the cluster, come here so that messages for them
// are kept again; its clients' wills go out; and its filters leave the durable interest once
// the sessions it held have announced theirs.
import type { ClusterSink } from '../broker/ports.js';
import type { ClientClaims } from './claims.js';
import type { DurableInterest } from './durable-interest.js';
import type { ClusterOptions } from './options.js';
import type { KvSessionStore } from './session-store.js';
import type { ClusterWills } from './wills.js';

export interface ReapParts {
  claims: ClientClaims;
  durable: DurableInterest;
  sessions: KvSessionStore;
  wills: ClusterWills;
}

export async function reapNode(
  dead: string,
  sink: ClusterSink,
  parts: ReapParts,
  options: Pick<ClusterOptions, 'sessions' | 'ackTimeoutMs'>,
): Promise<void> {
  const { claims, durable, sessions, wills } = parts;
  const announced = await durable.announcedBy(dead);
  // A session waiting out its will's delay carries the will itself: send it once, from there.
  const willInSession = new Set<string>();
  if (options.sessions === 'cluster') {
    for (const clientId of await sessions.clientsOf(dead)) {
      await claims.adoptFromLost(clientId, dead, async () => {
        const moved = await sessions.takeFrom(dead, clientId);
        if (moved === undefined || !sink.adoptOrphan(moved, dead)) return false;
        if (moved.record.delayedWill !== undefined) willInSession.add(clientId);
        return true;
      });
    }
  }
  await wills.sendOrphans(dead, sink, willInSession);
  // Clients that reconnected elsewhere announce their filters from there; until every node
  // has seen those, publishers still count on the dead node's (and redeliver for it).
  await durable.settled();
  setTimeout(() => durable.remove(announced).catch(() => {}), options.ackTimeoutMs).unref();
}
