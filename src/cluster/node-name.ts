// One name, one node: a node registers its name in a JetStream KV bucket. A name already
// there belongs to a live node only if that node answers a ping; a node killed with SIGKILL
// leaves its key behind, and its successor takes the key over (compare-and-set, so of two
// nodes starting with one name at once, exactly one wins).
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';

export class NodeNameTaken extends Error {
  override name = 'NodeNameTaken';
}

/**
 * Takes over the dead predecessor's key, or creates it. The node reaping the predecessor
 * rewrites the key (its mark) and then deletes it, so a restart in those moments finds the
 * key changed under it: it tries again, a few times, rather than refuse to start. A live
 * node of that name answers the ping and wins.
 */
export async function registerNodeName(
  nc: NatsConnection,
  nodes: KV,
  nodeName: string,
  pingSubject: string,
): Promise<void> {
  const value = JSON.stringify({ startedAt: Date.now(), pid: process.pid });
  for (let attempt = 1; ; attempt++) {
    if (await takeName(nc, nodes, nodeName, pingSubject, value)) return;
    if (attempt === ATTEMPTS)
      throw new NodeNameTaken(`node name '${nodeName}' was just taken by another node`);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

const ATTEMPTS = 5;
const PAUSE_MS = 200;

/** True once the key is this node's; false if it changed meanwhile. */
async function takeName(
  nc: NatsConnection,
  nodes: KV,
  nodeName: string,
  pingSubject: string,
  value: string,
): Promise<boolean> {
  try {
    await nodes.create(nodeName, value);
    return true;
  } catch {
    // The key exists: is its node alive?
  }
  const alive = await nc
    .request(pingSubject, '', { timeout: 1000 })
    .then(() => true)
    .catch(() => false);
  if (alive) throw new NodeNameTaken(`node name '${nodeName}' is in use by a running node`);
  const entry = await nodes.get(nodeName);
  return nodes.update(nodeName, value, entry?.revision ?? 0).then(
    () => true,
    () => false,
  );
}
