// Nodes: every node of the cluster as the node this dashboard talks to sees it, with its
// state and the figures of its last heartbeat. Only in a cluster (GET /status says so).
import { type ClusterNode, type ClusterNodes, formatDuration, get, plural } from '../api.js';
import { EmptyRow } from '../empty.js';
import { usePoll } from '../hooks.js';

const COLUMNS = [
  'Node',
  'State',
  'Last heard',
  'Uptime',
  'Connections',
  'Clients',
  'Sessions',
  'Subscriptions',
  'Msgs in',
  'Msgs out',
];

/** "0.4 s ago"; a silent node in whole seconds. */
function heard(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s ago` : `${formatDuration(ms / 1000)} ago`;
}

function Row(props: { node: ClusterNode; self: boolean }) {
  const n = props.node;
  const f = n.figures;
  return (
    <tr data-node={n.name} class={props.self ? 'self' : ''}>
      <td>
        <span class={n.state === 'up' ? 'dot on' : 'dot'} /> {n.name}
        {props.self && (
          <span class="tag" title="The node this dashboard talks to">
            this node
          </span>
        )}
      </td>
      <td class={n.state === 'up' ? 'state ok' : 'state warn'}>{n.state}</td>
      <td>{heard(n.lastHeard)}</td>
      <td>{formatDuration(n.uptimeSeconds)}</td>
      {[
        f.connections,
        f.clients,
        f.sessions,
        f.subscriptions,
        f.messagesReceived,
        f.messagesSent,
      ].map((v, i) => (
        <td key={COLUMNS[i + 4]} class="num">
          {v.toLocaleString('en')}
        </td>
      ))}
    </tr>
  );
}

export function Nodes() {
  const cluster = usePoll(() => get<ClusterNodes>('/cluster/nodes'), 2000);
  const c = cluster.data;
  const nodes = c ? [...c.nodes].sort((a, b) => a.name.localeCompare(b.name)) : undefined;
  const up = nodes?.filter((n) => n.state === 'up').length ?? 0;
  return (
    <div>
      {c && (
        <p class="status" data-testid="cluster-summary">
          This dashboard talks to node <b>{c.node}</b> · link to NATS{' '}
          <span class={c.linked ? 'state ok' : 'state warn'}>{c.linked ? 'up' : 'down'}</span> ·{' '}
          {plural(c.nodes.length, 'node')}, {up} up
        </p>
      )}
      {cluster.error && <p class="error">{cluster.error}</p>}
      <table data-testid="nodes-table">
        <thead>
          <tr>
            {COLUMNS.map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          <EmptyRow items={nodes} columns={COLUMNS.length} text="No node has been heard yet." />
          {nodes?.map((n) => (
            <Row key={n.name} node={n} self={n.name === c?.node} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the Nodes route shows on a broker that is not in a cluster. */
export function NotClustered() {
  return (
    <p class="note" data-testid="not-clustered">
      This broker is not in a cluster: it runs as a single node (start it with{' '}
      <code>--cluster nats://…</code> to join one).
    </p>
  );
}
