// Overview: node status, headline figures and live charts of connections and message rates.
import { type ClusterNodes, formatBytes, formatDuration, get, type Status } from '../api.js';
import { LineChart } from '../chart.js';
import { usePoll } from '../hooks.js';
import type { AuthSourceFigures } from '../../../src/broker/admin-wire.js';

interface Metrics {
  connections: number;
  clientsConnected: number;
  sessions: number;
  subscriptions: number;
  retainedMessages: number;
  queuedMessages: number;
  messages: {
    received: Record<string, number>;
    sent: Record<string, number>;
    dropped: Record<string, number>;
  };
  networkReceivedBytes: number;
  networkSentBytes: number;
  authFailures: number;
  aclDenials: number;
  eventLoopLagSeconds: number;
  heapUsedBytes: number;
  authSources: AuthSourceFigures[];
}

interface History {
  samples: {
    ts: number;
    connections: number;
    messagesInRate: number;
    messagesOutRate: number;
    droppedRate: number;
  }[];
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

function Figure(props: { label: string; value: string | number; testid?: string }) {
  return (
    <div class="figure" data-testid={props.testid}>
      <div class="value">{props.value}</div>
      <div class="label">{props.label}</div>
    </div>
  );
}

/** The external auth sources: how often asked, what they answered, how fast. */
function AuthSources(props: { sources: AuthSourceFigures[] }) {
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
  return (
    <table data-testid="auth-sources">
      <thead>
        <tr>
          <th>auth source</th>
          <th>on error</th>
          <th>requests</th>
          <th>allow</th>
          <th>deny</th>
          <th>errors</th>
          <th>cache hits</th>
          <th>queries</th>
          <th>mean / max latency</th>
        </tr>
      </thead>
      <tbody>
        {props.sources.map((s) => (
          <tr key={s.name}>
            <td>{s.name}</td>
            <td>{s.onError}</td>
            <td>{s.requests}</td>
            <td>{s.allow}</td>
            <td>{s.deny}</td>
            <td>{s.errors}</td>
            <td>{s.cacheHits}</td>
            <td>{s.queries}</td>
            <td>
              {ms(s.queries > 0 ? s.latencySecondsSum / s.queries : 0)} / {ms(s.latencySecondsMax)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "of 3 (link to NATS up)": where this node stands in its cluster. */
function ClusterPlace(props: { cluster: ClusterNodes }) {
  const c = props.cluster;
  return (
    <span data-testid="cluster-place">
      {' of '}
      <a href="#/nodes">{c.nodes.length}</a> (link to NATS{' '}
      <span class={c.linked ? 'state ok' : 'state warn'}>{c.linked ? 'up' : 'down'}</span>)
    </span>
  );
}

export function Overview() {
  const status = usePoll(() => get<Status>('/status'), 5000);
  const clustered = status.data?.cluster === true;
  // Asked only in a cluster: on a single node it would answer 404.
  const cluster = usePoll(
    () => (clustered ? get<ClusterNodes>('/cluster/nodes') : Promise.resolve(undefined)),
    2000,
    [clustered],
  );
  const metrics = usePoll(() => get<Metrics>('/metrics'), 2000);
  const history = usePoll(() => get<History>('/metrics/history'), 2000);
  const m = metrics.data;
  const s = status.data;
  const samples = history.data?.samples ?? [];
  const times = samples.map((x) => x.ts);
  return (
    <div class="overview">
      {(metrics.error || status.error || cluster.error) && (
        <p class="error">{metrics.error || status.error || cluster.error}</p>
      )}
      {s && (
        <p class="status" data-testid="status">
          Node <b>{s.node}</b>
          {s.cluster && cluster.data && <ClusterPlace cluster={cluster.data} />} · Culex {s.version}{' '}
          · up {formatDuration(s.uptimeSeconds)} · listeners{' '}
          {s.listeners.map((l) => `${l.type} ${l.host}:${l.port}${l.path ?? ''}`).join(', ')}
        </p>
      )}
      {m && (
        <div class="figures">
          <Figure label="clients connected" value={m.clientsConnected} testid="figure-connected" />
          <Figure label="sessions" value={m.sessions} />
          <Figure label="subscriptions" value={m.subscriptions} />
          <Figure label="retained" value={m.retainedMessages} />
          <Figure label="messages in" value={sum(m.messages.received)} />
          <Figure label="messages out" value={sum(m.messages.sent)} />
          <Figure label="dropped" value={sum(m.messages.dropped)} />
          <Figure label="queued" value={m.queuedMessages} />
          <Figure
            label="bytes in / out"
            value={`${formatBytes(m.networkReceivedBytes)} / ${formatBytes(m.networkSentBytes)}`}
          />
          <Figure
            label="auth failures / ACL denials"
            value={`${m.authFailures} / ${m.aclDenials}`}
          />
          <Figure
            label="event-loop lag"
            value={`${(m.eventLoopLagSeconds * 1000).toFixed(1)} ms`}
          />
          <Figure label="heap" value={formatBytes(m.heapUsedBytes)} />
        </div>
      )}
      {m && m.authSources.length > 0 && <AuthSources sources={m.authSources} />}
      <div class="charts">
        <LineChart
          title="Connections"
          testid="chart-connections"
          times={times}
          series={[
            { name: 'connected', color: '#2563eb', values: samples.map((x) => x.connections) },
          ]}
        />
        <LineChart
          title="Messages per second"
          testid="chart-rates"
          times={times}
          series={[
            { name: 'in', color: '#16a34a', values: samples.map((x) => x.messagesInRate) },
            { name: 'out', color: '#9333ea', values: samples.map((x) => x.messagesOutRate) },
            { name: 'dropped', color: '#dc2626', values: samples.map((x) => x.droppedRate) },
          ]}
        />
      </div>
    </div>
  );
}
