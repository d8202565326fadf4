// What every connector shares: its status and counters, and the sinks it made (closed with it).
import { ConnectorConfigError, type Settings, checkKeys } from './config.js';
import { BufferedSink, DELIVERY_KEYS, readDeliveryOptions, type SinkWriter } from './delivery.js';
import type {
  ConnectorConfig,
  ConnectorCounters,
  ConnectorDeps,
  ConnectorStatus,
  ConnectorType,
  Sink,
  SinkConfig,
} from './types.js';

export abstract class ConnectorBase {
  readonly counters: ConnectorCounters = { connects: 0, disconnects: 0, errors: 0 };
  #status: ConnectorStatus = 'connecting';
  readonly #sinks = new Set<Sink>();
  protected closed = false;

  readonly name: string;
  /** `connector '<name>'`, the start of this connector's config errors. */
  protected readonly where: string;

  /** Checks the connector's keys against `keys` (the type's own, with name and type). */
  constructor(
    config: ConnectorConfig,
    readonly type: ConnectorType,
    protected readonly deps: ConnectorDeps,
    keys: readonly string[],
  ) {
    this.name = config.name;
    this.where = `connector '${config.name}'`;
    checkKeys(config, keys, this.where);
  }

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

  /**
   * Opens the first connection, trying every FIRST_CONNECT_RETRY_MS until it succeeds or the
   * connector closes (undefined); after that the client library reconnects by itself.
   */
  protected async firstConnection<T>(
    open: () => Promise<T>,
    release: (connection: T) => Promise<void>,
  ): Promise<T | undefined> {
    while (!this.closed) {
      try {
        const connection = await open();
        if (!this.closed) return connection;
        await release(connection);
      } catch (error) {
        this.connectionLost(error);
        await new Promise((r) => setTimeout(r, FIRST_CONNECT_RETRY_MS));
      }
    }
    return undefined;
  }

  /** Counts an error of the connection (not of one record) and marks the target unreachable. */
  protected connectionLost(error: unknown): void {
    this.counters.errors++;
    this.setStatus('disconnected', error);
  }

  /** The sink keys of this connector type, besides the delivery ones (DELIVERY_KEYS). */
  protected abstract readonly sinkKeys: readonly string[];
  protected readonly defaultBatchSize: number = 100;
  /** Reads a sink's own settings (throwing with `where` and the key) into its writer. */
  protected abstract writer(settings: Settings, where: string, id: string): SinkWriter<unknown>;

  sink(config: SinkConfig, id: string): Sink {
    if (this.closed) throw new Error(`connector '${this.name}' is closed`);
    const where = `sink '${id}' (connector '${this.name}')`;
    if (typeof config !== 'object' || config === null) {
      throw new ConnectorConfigError(`${where}: the sink settings must be a map`);
    }
    checkKeys(config as Settings, [...DELIVERY_KEYS, ...this.sinkKeys], where);
    const options = readDeliveryOptions(config, where, {
      batchSize: this.defaultBatchSize,
      disk: this.deps.dataDir !== undefined,
    });
    const writer = this.writer(config, where, id);
    let sink: Sink;
    try {
      sink = new BufferedSink(id, writer, options, this.deps.log, this.deps.dataDir, () =>
        this.#sinks.delete(sink),
      );
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
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

const FIRST_CONNECT_RETRY_MS = 500;

/** `work`, or a rejection saying `what` took over `ms`. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
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
