// The shapes the rule engine speaks to connectors in (docs/CONNECTORS.md): a connector is a
// named connection to an outside system; a sink is one rule action writing through it.
export type ConnectorStatus = 'connected' | 'connecting' | 'disconnected';

export type ConnectorType = 'http' | 'mqtt' | 'postgresql' | 'redis' | 'nats';

export interface ConnectorConfig {
  name: string;
  type: ConnectorType;
  [k: string]: unknown;
}

/** One action of a rule that writes to a connector. */
export interface SinkConfig {
  /** The connector's name. */
  connector: string;
  /** Per type: http {method, path|url, headers, body}, postgresql {sql}, redis {command},
   *  nats {subject, payload, jetstream}, mqtt {topic, qos, retain, payload}. */
  [k: string]: unknown;
  /** Records held while the target is slow or down: memory first, then disk. */
  buffer?: { memory?: number; disk?: number };
  batchSize?: number;
  batchTimeMs?: number;
}

export interface SinkCounters {
  /** Records the target accepted. */
  success: number;
  /** Records given up on (refused by the target, or retried too often); also in `dropped`. */
  failed: number;
  /** Records waiting in the buffer (memory and disk). */
  queued: number;
  /** Records in the batch being written. */
  inflight: number;
  /** Records sent again after a failed attempt (one per record per retry). */
  retried: number;
  /** Records dropped, by reason: buffer_full, rejected, retries_exhausted, shutdown, disk_error. */
  dropped: Record<string, number>;
}

export interface Sink {
  /** Queues one rule output; never blocks, never throws; drops are counted. `orderKey` keeps
   *  order per key (the engine passes `${ruleId}/${topic}`). */
  push(output: Readonly<Record<string, unknown>>, orderKey: string): void;
  readonly counters: SinkCounters;
  close(): Promise<void>;
}

export interface IngressMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  properties?: object;
}

export interface ConnectorCounters {
  connects: number;
  disconnects: number;
  errors: number;
}

export interface Connector {
  readonly name: string;
  readonly type: ConnectorType;
  status(): ConnectorStatus;
  readonly counters: ConnectorCounters;
  /** A sink writing through this connector (validates config: throws Error with an exact message). */
  sink(config: SinkConfig, id: string): Sink;
  close(): Promise<void>;
}

export interface Log {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export interface ConnectorDeps {
  /** Disk buffers under <dataDir>/rules-buffer (lmdb); memory only when absent. */
  dataDir?: string;
  log: Log;
  /** mqtt connectors with ingress/Mosquitto bridge lines call this for every remote message; the
   *  engine republishes it locally and feeds the `$bridges/mqtt:<name>` source. */
  ingress(connector: string, message: IngressMessage): void;
}
