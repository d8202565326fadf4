// The HTTP API of any node answers for the whole cluster: it asks every node for its part
// (over the cluster bus) and puts the answers together. Each node answers from its own
// BrokerAdmin. Pages go node by node: a cursor names the node and that node's own cursor.
import type { BrokerAdmin } from './admin.js';
import type { ClientFilter, ClientSort, PageRequest } from './admin-views.js';
import { AdminError } from './admin-views.js';
import type { ClientSummary, Page } from './admin-wire.js';
import type { ClusterBus } from './ports.js';

/** What one node asks another. */
export type NodeRequest =
  | { op: 'clients'; filter: ClientFilter; sort: ClientSort; page: PageRequest }
  | { op: 'kick'; clientId: string };

export interface ClusterClient extends ClientSummary {
  node: string;
}

/** This node's answer to another node's request. */
export function answer(admin: BrokerAdmin, request: NodeRequest): unknown {
  if (request.op === 'clients')
    return admin.listClients(request.filter, request.sort, request.page);
  try {
    admin.kick(request.clientId);
    return true;
  } catch (error) {
    if (error instanceof AdminError) return false;
    throw error;
  }
}

/** A cursor across nodes: the node, and that node's own cursor (empty: its first page). */
const cursorOf = (node: string, cursor: string) =>
  Buffer.from(JSON.stringify([node, cursor])).toString('base64url');

function parseCursor(cursor: string): [string, string] {
  try {
    const [node, inner] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof node === 'string' && typeof inner === 'string') return [node, inner];
  } catch {}
  throw new AdminError('bad_request', 'invalid cursor');
}

/**
 * `bus.ask`, or undefined when the node does not answer: a node killed a moment ago is still
 * listed as up until it is reaped, and must not make the whole answer fail.
 */
function askAnswering(bus: ClusterBus, node: string, request: NodeRequest): Promise<unknown> {
  return bus.ask(node, request).catch(() => undefined);
}

const empty: Page<ClientSummary> = { items: [], total: 0, nextCursor: null };

/** Clients of every node that answers, node by node in name order. */
export async function clusterClients(
  bus: ClusterBus,
  filter: ClientFilter,
  sort: ClientSort,
  page: PageRequest,
): Promise<Page<ClusterClient>> {
  const nodes = bus
    .nodes()
    .filter((n) => n.state === 'up')
    .map((n) => n.name)
    .sort();
  const [startNode, startCursor] =
    page.cursor === undefined ? [nodes[0] ?? '', ''] : parseCursor(page.cursor);
  const items: ClusterClient[] = [];
  let total = 0;
  let nextCursor: string | null = null;
  for (const node of nodes) {
    const request: NodeRequest = { op: 'clients', filter, sort, page: { ...page, limit: 1 } };
    if (node < startNode || items.length >= page.limit) {
      // Only its total is wanted.
      total += (((await askAnswering(bus, node, request)) as Page<ClientSummary>) ?? empty).total;
      continue;
    }
    const cursor = node === startNode ? startCursor || undefined : undefined;
    const part =
      ((await askAnswering(bus, node, {
        ...request,
        page: { ...page, cursor, limit: page.limit - items.length },
      })) as Page<ClientSummary> | undefined) ?? empty;
    total += part.total;
    for (const item of part.items) items.push({ ...item, node });
    if (part.nextCursor !== null) nextCursor = cursorOf(node, part.nextCursor);
    else if (items.length >= page.limit) nextCursor = nextNodeCursor(nodes, node);
  }
  return { items, total, nextCursor };
}

/** The first page of the node after `node`, if any. */
function nextNodeCursor(nodes: string[], node: string): string | null {
  const next = nodes[nodes.indexOf(node) + 1];
  return next === undefined ? null : cursorOf(next, '');
}

/** Disconnects the client wherever it is connected; false when no node has it. */
export async function kickAnywhere(bus: ClusterBus, clientId: string): Promise<boolean> {
  const up = bus.nodes().filter((n) => n.state === 'up');
  const answers = await Promise.all(
    up.map((n) => askAnswering(bus, n.name, { op: 'kick', clientId })),
  );
  return answers.some((a) => a === true);
}
