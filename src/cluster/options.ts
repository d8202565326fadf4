// How a node joins the cluster: the `cluster` section of the configuration.
export interface ClusterOptions {
  /** NATS servers, e.g. ['nats://127.0.0.1:4222']. */
  servers: string[];
  /** Unique in the cluster; also the node's name in $SYS and the HTTP API. */
  nodeName: string;
  user?: string;
  password?: string;
  token?: string;
  /** A NATS credentials file (JWT + NKey seed). */
  credsFile?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  /** Subject and bucket prefix, so several Culex clusters can share one NATS. */
  prefix: string;
  /** JetStream replicas of the cluster's buckets (1, 3 or 5; at most the NATS servers). */
  replicas: number;
  /** ms between a node's heartbeats. */
  heartbeatMs: number;
  /** ms without a heartbeat before a node is pinged, and if silent, declared lost. */
  nodeTimeoutMs: number;
  /** Seconds cut off from NATS before this node disconnects its clients (5.0: 0x9C). */
  cutoffSeconds: number;
  /**
   * Where persistent sessions live: 'cluster' (JetStream KV, replicated: they survive the
   * node and move without it) or 'local' (the node's own store, e.g. --store memory).
   */
  sessions: 'cluster' | 'local';
  /** ms a QoS 1/2 acknowledgement waits for other nodes' stores before the publisher is closed. */
  ackTimeoutMs: number;
}

export const defaultClusterOptions: Omit<ClusterOptions, 'servers' | 'nodeName'> = {
  prefix: 'culex',
  replicas: 1,
  heartbeatMs: 1000,
  nodeTimeoutMs: 5000,
  cutoffSeconds: 30,
  sessions: 'cluster',
  ackTimeoutMs: 5000,
};
