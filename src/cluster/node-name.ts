// One name, one node: a node registers its name in a JetStream KV bucket. A name already
// there belongs to a live node only if that node answers a ping; a node killed with SIGKILL
// leaves its key behind, and its successor takes the key over (compare-and-set, so of two
// nodes starting with one name at once, exactly one wins).
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';

export class NodeNameTaken extends Error {
  override name = 'NodeNameTaken';
}

export async function registerNodeName(
  nc: NatsConnection,
  nodes: KV,
  nodeName: string,
  pingSubject: string,
): Promise<void> {
  const value = JSON.stringify({ startedAt: Date.now(), pid: process.pid });
  try {
    await nodes.create(nodeName, value);
    return;
  } catch {
    // The key exists: is its node alive?
  }
  const alive = await nc
    .request(pingSubject, '', { timeout: 1000 })
    .then(() => true)
    .catch(() => false);
  if (alive) throw new NodeNameTaken(`node name '${nodeName}' is in use by a running node`);
  const entry = await nodes.get(nodeName);
  try {
    await nodes.update(nodeName, value, entry?.revision ?? 0);
  } catch {
    throw new NodeNameTaken(`node name '${nodeName}' was just taken by another node`);
  }
}
