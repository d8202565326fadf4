// Metrics: one snapshot of the broker's figures per scrape, shown as Prometheus text
// (prom-client) and as JSON, plus a short history of rates for the dashboard's charts.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { BrokerAdmin, BrokerFigures } from '../broker/admin.js';
import type { AuthSourceFigures } from '../broker/admin-wire.js';

export interface MetricsSnapshot {
  node: string;
  version: string;
  uptimeSeconds: number;
  connections: number;
  clientsConnected: number;
  sessions: number;
  subscriptions: number;
  retainedMessages: number;
  bannedClients: number;
  queuedMessages: number;
  inflightMessages: number;
  maxQueueDepth: number;
  connectionsAccepted: number;
  messages: {
    received: QosFigures;
    sent: QosFigures;
    receivedBytes: QosFigures;
    sentBytes: QosFigures;
    dropped: Record<string, number>;
  };
  packetsReceived: number;
  packetsSent: number;
  networkReceivedBytes: number;
  networkSentBytes: number;
  authFailures: number;
  aclDenials: number;
  httpAuthFailures: number;
  /** External authentication and authorization sources (PostgreSQL, Redis, LDAP, JWKS). */
  authSources: AuthSourceFigures[];
  traceStreams: number;
  eventLoopLagSeconds: number;
  eventLoopLagMaxSeconds: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Cluster figures; zeros on a single node. */
  clusterLinked: number;
  clusterNodesUp: number;
  clusterReceived: number;
  residentBytes: number;
  /** The MQTT-SN gateway's datagrams; zeros without an mqttsn listener. */
  mqttsn: { datagramsReceived: number; datagramsSent: number; dropped: Record<string, number> };
}

type QosFigures = { '0': number; '1': number; '2': number };

export interface HistorySample {
  ts: number;
  connections: number;
  /** PUBLISH per second over the interval before ts. */
  messagesInRate: number;
  messagesOutRate: number;
  droppedRate: number;
}

const byQos = (a: readonly number[]): QosFigures => ({ '0': a[0]!, '1': a[1]!, '2': a[2]! });
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

export interface MetricsOptions {
  /** Seconds between history samples. */
  sampleInterval?: number;
  /** Samples kept (default: 10 minutes' worth). */
  historySize?: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly history: HistorySample[] = [];
  readonly sampleInterval: number;
  httpAuthFailures = 0;
  /** Open trace streams, set by the server. */
  countTraceStreams: () => number = () => 0;
  /** The auth sources' figures, set by the server. */
  authSources: () => AuthSourceFigures[] = () => [];
  private current: MetricsSnapshot | undefined;
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastLag = { mean: 0, max: 0 };
  private timer: NodeJS.Timeout;
  private last: { ts: number; in: number; out: number; dropped: number } | undefined;
  private readonly historySize: number;

  constructor(
    private readonly admin: BrokerAdmin,
    options: MetricsOptions = {},
  ) {
    this.sampleInterval = options.sampleInterval ?? 2;
    this.historySize = options.historySize ?? Math.ceil(600 / this.sampleInterval);
    this.lag.enable();
    this.define();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleInterval * 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.lag.disable();
  }

  snapshot(): MetricsSnapshot {
    return toSnapshot(this.admin.figures(), this, this.admin.cluster());
  }

  get eventLoopLag(): { mean: number; max: number } {
    return this.lastLag;
  }

  /** The Prometheus exposition text. */
  async prometheus(): Promise<string> {
    this.current = this.snapshot();
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  private sample(): void {
    const h = this.lag;
    if (h.count > 0) this.lastLag = { mean: h.mean / 1e9, max: h.max / 1e9 };
    h.reset();
    const f = this.admin.figures();
    const now = Date.now();
    const point = {
      ts: now,
      in: f.stats.publishReceived,
      out: f.stats.publishSent,
      dropped: sum(f.stats.dropped),
    };
    const prev = this.last;
    this.last = point;
    if (prev === undefined) return;
    const seconds = Math.max(0.001, (now - prev.ts) / 1000);
    this.history.push({
      ts: now,
      connections: f.clientsConnected,
      messagesInRate: (point.in - prev.in) / seconds,
      messagesOutRate: (point.out - prev.out) / seconds,
      droppedRate: (point.dropped - prev.dropped) / seconds,
    });
    if (this.history.length > this.historySize) this.history.shift();
  }

  private defineSources(register: Registry[]): void {
    defineSourceMetrics(register, () => this.current?.authSources ?? this.authSources());
  }

  private define(): void {
    const register = [this.registry];
    const read =
      <T>(f: (s: MetricsSnapshot) => T) =>
      () =>
        f(this.current ?? this.snapshot());
    const gauge = (name: string, help: string, f: (s: MetricsSnapshot) => number) => {
      const value = read(f);
      new Gauge({
        name,
        help,
        registers: register,
        collect() {
          this.set(value());
        },
      });
    };
    const counter = (name: string, help: string, f: (s: MetricsSnapshot) => number) => {
      const value = read(f);
      new Counter({
        name,
        help,
        registers: register,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    };
    const labelled = (
      name: string,
      help: string,
      label: string,
      f: (s: MetricsSnapshot) => Record<string, number>,
    ) => {
      const values = read(f);
      new Counter({
        name,
        help,
        labelNames: [label],
        registers: register,
        collect() {
          this.reset();
          for (const [key, v] of Object.entries(values())) this.inc({ [label]: key }, v);
        },
      });
    };
    const info = this.admin.figures();
    new Gauge({
      name: 'culex_info',
      help: 'Culex version and node name (value is always 1)',
      labelNames: ['version', 'node'],
      registers: register,
    }).set({ version: info.version, node: info.nodeName }, 1);
    gauge('culex_uptime_seconds', 'Seconds since the broker started', (s) => s.uptimeSeconds);
    gauge('culex_connections', 'Open client connections (sockets)', (s) => s.connections);
    gauge('culex_clients_connected', 'Clients connected (CONNACK sent)', (s) => s.clientsConnected);
    gauge('culex_sessions', 'Sessions, connected and offline', (s) => s.sessions);
    gauge('culex_subscriptions', 'Subscriptions in the router', (s) => s.subscriptions);
    gauge('culex_retained_messages', 'Retained messages', (s) => s.retainedMessages);
    gauge('culex_banned_clients', 'Active bans', (s) => s.bannedClients);
    gauge('culex_queued_messages', 'Messages queued in sessions', (s) => s.queuedMessages);
    gauge('culex_inflight_messages', 'QoS 1/2 messages in flight', (s) => s.inflightMessages);
    gauge('culex_queue_depth_max', 'Longest session queue, messages', (s) => s.maxQueueDepth);
    counter('culex_connections_total', 'Client connections accepted', (s) => s.connectionsAccepted);
    labelled(
      'culex_messages_received_total',
      'PUBLISH messages received',
      'qos',
      (s) => s.messages.received,
    );
    labelled('culex_messages_sent_total', 'PUBLISH messages sent', 'qos', (s) => s.messages.sent);
    labelled(
      'culex_messages_received_bytes_total',
      'Payload bytes of PUBLISH messages received',
      'qos',
      (s) => s.messages.receivedBytes,
    );
    labelled(
      'culex_messages_sent_bytes_total',
      'Payload bytes of PUBLISH messages sent',
      'qos',
      (s) => s.messages.sentBytes,
    );
    labelled(
      'culex_messages_dropped_total',
      'Messages dropped',
      'reason',
      (s) => s.messages.dropped,
    );
    counter(
      'culex_mqttsn_datagrams_received_total',
      'MQTT-SN datagrams received by the gateway',
      (s) => s.mqttsn.datagramsReceived,
    );
    counter(
      'culex_mqttsn_datagrams_sent_total',
      'MQTT-SN datagrams sent by the gateway',
      (s) => s.mqttsn.datagramsSent,
    );
    labelled(
      'culex_mqttsn_dropped_total',
      'MQTT-SN datagrams dropped by the gateway',
      'reason',
      (s) => s.mqttsn.dropped,
    );
    counter('culex_packets_received_total', 'MQTT packets received', (s) => s.packetsReceived);
    counter('culex_packets_sent_total', 'MQTT packets sent', (s) => s.packetsSent);
    counter(
      'culex_network_received_bytes_total',
      'Bytes read from clients',
      (s) => s.networkReceivedBytes,
    );
    counter(
      'culex_network_sent_bytes_total',
      'Bytes written to clients',
      (s) => s.networkSentBytes,
    );
    counter('culex_auth_failures_total', 'Refused MQTT authentications', (s) => s.authFailures);
    counter('culex_acl_denials_total', 'Refused publishes and subscriptions', (s) => s.aclDenials);
    counter(
      'culex_http_auth_failures_total',
      'Refused HTTP API credentials',
      (s) => s.httpAuthFailures,
    );
    this.defineSources(register);
    gauge('culex_trace_streams', 'Open trace streams', (s) => s.traceStreams);
    gauge(
      'culex_event_loop_lag_seconds',
      'Mean event-loop delay, last sample',
      (s) => s.eventLoopLagSeconds,
    );
    gauge(
      'culex_event_loop_lag_max_seconds',
      'Largest event-loop delay, last sample',
      (s) => s.eventLoopLagMaxSeconds,
    );
    gauge('culex_heap_used_bytes', 'V8 heap in use', (s) => s.heapUsedBytes);
    gauge('culex_heap_total_bytes', 'V8 heap allocated', (s) => s.heapTotalBytes);
    gauge(
      'culex_cluster_linked',
      '1 while linked to the cluster (NATS), 0 when cut off or alone',
      (s) => s.clusterLinked,
    );
    gauge(
      'culex_cluster_nodes_up',
      'Cluster nodes whose heartbeats arrive, this one included',
      (s) => s.clusterNodesUp,
    );
    counter(
      'culex_cluster_messages_received_total',
      'Messages that came from other cluster nodes',
      (s) => s.clusterReceived,
    );
    // The standard process figures (prom-client's defaults include names promtool refuses).
    gauge('process_resident_memory_bytes', 'Resident memory size', (s) => s.residentBytes);
    counter('process_cpu_seconds_total', 'User and system CPU time', () => {
      const cpu = process.cpuUsage();
      return (cpu.user + cpu.system) / 1e6;
    });
    new Gauge({
      name: 'process_start_time_seconds',
      help: 'Start time of the process since the epoch, seconds',
      registers: register,
    }).set(Math.round(Date.now() / 1000 - process.uptime()));
  }
}

type SourceCounter = 'requests' | 'allow' | 'deny' | 'errors' | 'cacheHits' | 'queries';
const SOURCE_COUNTERS: [SourceCounter, string][] = [
  ['requests', 'Decisions asked of an auth source, cache hits included'],
  ['allow', 'Decisions of an auth source that allowed'],
  ['deny', 'Decisions of an auth source that refused'],
  ['errors', 'Requests an auth source failed to answer (its onError policy applied)'],
  ['cacheHits', 'Decisions an auth source answered from its cache'],
  ['queries', 'Round trips to an auth source'],
];
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** One counter per figure, labelled by source, and the time spent in its round trips. */
function defineSourceMetrics(register: Registry[], sources: () => AuthSourceFigures[]) {
  const counter = (name: string, help: string, value: (f: AuthSourceFigures) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['source'],
      registers: register,
      collect() {
        this.reset();
        for (const f of sources()) this.inc({ source: f.name }, value(f));
      },
    });
  for (const [key, help] of SOURCE_COUNTERS) {
    counter(`culex_auth_source_${snake(key)}_total`, help, (f) => f[key]);
  }
  // With culex_auth_source_queries_total, the mean latency of a round trip.
  counter(
    'culex_auth_source_query_seconds_total',
    'Seconds spent in round trips to an auth source',
    (f) => f.latencySecondsSum,
  );
  new Gauge({
    name: 'culex_auth_source_latency_max_seconds',
    help: 'Longest round trip to an auth source',
    labelNames: ['source'],
    registers: register,
    collect() {
      this.reset();
      for (const f of sources()) this.set({ source: f.name }, f.latencySecondsMax);
    },
  });
}

function toSnapshot(
  f: BrokerFigures,
  m: Metrics,
  cluster: ReturnType<BrokerAdmin['cluster']>,
): MetricsSnapshot {
  const s = f.stats;
  const memory = process.memoryUsage();
  return {
    node: f.nodeName,
    version: f.version,
    uptimeSeconds: Math.floor((Date.now() - f.startedAt) / 1000),
    connections: f.connections,
    clientsConnected: f.clientsConnected,
    sessions: f.sessions,
    subscriptions: f.subscriptions,
    retainedMessages: f.retained,
    bannedClients: f.banned,
    queuedMessages: f.queued,
    inflightMessages: f.inflight,
    maxQueueDepth: f.maxQueued,
    connectionsAccepted: s.connectionsTotal,
    messages: {
      received: byQos(s.publishReceivedByQos),
      sent: byQos(s.publishSentByQos),
      receivedBytes: byQos(s.payloadBytesReceivedByQos),
      sentBytes: byQos(s.payloadBytesSentByQos),
      dropped: { ...s.dropped },
    },
    packetsReceived: s.messagesReceived,
    packetsSent: s.messagesSent,
    networkReceivedBytes: s.bytesReceived,
    networkSentBytes: s.bytesSent,
    authFailures: s.authFailures,
    aclDenials: s.aclDenials,
    httpAuthFailures: m.httpAuthFailures,
    authSources: m.authSources(),
    traceStreams: m.countTraceStreams(),
    eventLoopLagSeconds: m.eventLoopLag.mean,
    eventLoopLagMaxSeconds: m.eventLoopLag.max,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    clusterLinked: cluster?.linked ? 1 : 0,
    clusterNodesUp: cluster?.nodes.filter((n) => n.state === 'up').length ?? 0,
    clusterReceived: s.clusterReceived,
    mqttsn: {
      datagramsReceived: s.mqttsn.datagramsReceived,
      datagramsSent: s.mqttsn.datagramsSent,
      dropped: { ...s.mqttsn.dropped },
    },
    residentBytes: memory.rss,
  };
}
