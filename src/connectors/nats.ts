// NATS connector: each sink publishes records to a subject template. Core NATS: a batch is
// published and then flushed (PING/PONG), so success means the server has it; JetStream
// (`jetstream: true`): each publish waits for the stream's ack. While the connection is down,
// publishing is refused here (not left to nats.js's reconnect buffer) so the sink buffers.
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import { ConnectorBase, within } from './base.js';
import { type Settings, fail, readBoolean, readInt, readString, requireString } from './config.js';
import { type SinkWriter, TargetDown } from './delivery.js';
import { template } from './template.js';
import type { ConnectorConfig, ConnectorDeps } from './types.js';

const CONNECTOR_KEYS = ['name', 'type', 'url', 'user', 'password', 'token'];
const SINK_KEYS = ['subject', 'payload', 'jetstream', 'timeoutMs'];
/** A subject to publish to: tokens of visible characters, no wildcards. */
const SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;
const CLOSE_MS = 2_000;

interface NatsRecord {
  subject: string;
  payload: string;
}

export class NatsConnector extends ConnectorBase {
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  readonly #connecting: Promise<void>;

  constructor(config: ConnectorConfig, deps: ConnectorDeps) {
    super(config, 'nats', deps, CONNECTOR_KEYS);
    const where = this.where;
    const url = requireString(config, 'url', where);
    const servers = url.split(',').map((s) => s.trim());
    for (const server of servers) {
      if (!/^(nats|tls):\/\/[^/\s]+$/.test(server)) {
        fail(where, `url must be nats://host:port (several separated by ','), not '${server}'`);
      }
    }
    this.#connecting = this.#connect({
      servers,
      user: readString(config, 'user', where),
      pass: readString(config, 'password', where),
      token: readString(config, 'token', where),
      name: `culex-connector-${this.name}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
    });
  }

  async #connect(options: ConnectionOptions): Promise<void> {
    const nc = await this.firstConnection(
      () => connect(options),
      (opened) => opened.close(),
    );
    if (!nc) return;
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.setStatus('connected');
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.connectionLost(new Error('NATS disconnected'));
      else if (status.type === 'reconnecting') this.setStatus('connecting');
      else if (status.type === 'reconnect') this.setStatus('connected');
    }
  }

  protected readonly sinkKeys = SINK_KEYS;

  protected writer(settings: Settings, where: string): SinkWriter<NatsRecord> {
    const subject = template(requireString(settings, 'subject', where), where, 'subject');
    const payload = template(readString(settings, 'payload', where) ?? '${.}', where, 'payload');
    const acked = readBoolean(settings, 'jetstream', where, false);
    const timeout = readInt(settings, 'timeoutMs', where, {
      min: 1,
      max: 3_600_000,
      fallback: 5_000,
    });
    return {
      prepare: (output) => {
        const record = { subject: subject.render(output), payload: payload.render(output) };
        if (!SUBJECT.test(record.subject)) throw new Error(`not a subject: '${record.subject}'`);
        return record;
      },
      write: (batch) =>
        acked ? this.#publishAcked(batch, timeout) : this.#publish(batch, timeout),
    };
  }

  #connection(): NatsConnection {
    const nc = this.#nc;
    if (!nc || nc.isClosed() || this.status() !== 'connected') {
      throw new TargetDown(`NATS connector '${this.name}' is not connected`);
    }
    return nc;
  }

  async #publish(batch: readonly NatsRecord[], timeoutMs: number): Promise<undefined> {
    const nc = this.#connection();
    for (const { subject, payload } of batch) nc.publish(subject, payload);
    await this.#down(within(nc.flush(), timeoutMs, 'NATS flush'));
    return undefined;
  }

  async #publishAcked(batch: readonly NatsRecord[], timeout: number): Promise<undefined> {
    this.#connection();
    const js = this.#js!;
    await this.#down(Promise.all(batch.map((r) => js.publish(r.subject, r.payload, { timeout }))));
    return undefined;
  }

  /** A failure while the connection dropped is the target being down, retried while it lasts. */
  async #down(work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (error) {
      if (this.status() !== 'connected') {
        throw new TargetDown(`NATS: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  protected async disconnect(): Promise<void> {
    const nc = this.#nc;
    if (!nc) return void (await this.#connecting);
    await within(nc.drain(), CLOSE_MS, 'NATS drain').catch(() => {});
    if (!nc.isClosed()) await nc.close().catch(() => {});
    await within(this.#connecting, CLOSE_MS, 'NATS').catch(() => {});
  }
}
