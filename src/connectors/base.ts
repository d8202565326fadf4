// What every connector shares: its status and counters, and the sinks it made (closed with it).
import { ConnectorConfigError, type Settings, checkKeys } from './config.js';
import { BufferedSink, DELIVERY_KEYS, readDeliveryOptions, type SinkWriter } from './delivery.js';
import type {
  ConnectorCounters,
  ConnectorDeps,
  ConnectorStatus,
  ConnectorType,
  Sink,
  SinkConfig,
} from './types.js';

/** A connector type's part of a sink: its own keys, its writer, its default batch size. */
export interface SinkPlan<T> {
  keys: readonly string[];
  batchSize: number;
  writer(config: SinkConfig, where: string): SinkWriter<T>;
}

export abstract class ConnectorBase {
  readonly counters: ConnectorCounters = { connects: 0, disconnects: 0, errors: 0 };
  #status: ConnectorStatus = 'connecting';
  readonly #sinks = new Set<Sink>();
  protected closed = false;

  constructor(
    readonly name: string,
    readonly type: ConnectorType,
    protected readonly deps: ConnectorDeps,
  ) {}

  status(): ConnectorStatus {
    return this.#status;
  }

  protected setStatus(next: ConnectorStatus, error?: unknown): void {
    const previous = this.#status;
    if (previous === next) return;
    this.#status = next;
    if (next === 'connected') this.counters.connects++;
    if (previous === 'connected') this.counters.disconnects++;
    const detail = error instanceof Error ? error.message : undefined;
    this.deps.log.info({ connector: this.name, status: next, error: detail }, 'connector status');
  }

  /** Counts an error of the connection (not of one record) and marks the target unreachable. */
  protected connectionLost(error: unknown): void {
    this.counters.errors++;
    this.setStatus('disconnected', error);
  }

  protected makeSink<T>(config: SinkConfig, id: string, plan: SinkPlan<T>): Sink {
    if (this.closed) throw new Error(`connector '${this.name}' is closed`);
    const where = `sink '${id}' (connector '${this.name}')`;
    if (typeof config !== 'object' || config === null) {
      throw new ConnectorConfigError(`${where}: the sink settings must be a map`);
    }
    checkKeys(config as Settings, [...DELIVERY_KEYS, ...plan.keys], where);
    const options = readDeliveryOptions(config, where, {
      batchSize: plan.batchSize,
      disk: this.deps.dataDir !== undefined,
    });
    const writer = plan.writer(config, where);
    const sink: Sink = new BufferedSink(id, writer, options, this.deps.log, this.deps.dataDir, () =>
      this.#sinks.delete(sink),
    );
    this.#sinks.add(sink);
    return sink;
  }

  /** Closes the sinks (they keep what they hold on disk), then the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.#sinks].map((sink) => sink.close()));
    await this.disconnect();
    this.setStatus('disconnected');
  }

  protected abstract disconnect(): Promise<void>;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Whether `error` (or one of its causes) says the target could not be reached at all. */
export function isConnectionError(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
    e = e.cause as typeof e;
  }
  return false;
}
