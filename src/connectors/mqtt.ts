// MQTT bridge connector, over our own client library: egress (rule sinks with a remote topic
// template, and forward() for local messages matching `out` lines) and ingress (`in` lines
// and `ingress` subscriptions, handed to deps.ingress). Loop safety: remote subscriptions use
// No Local (5.0) so the remote broker does not send our own publishes back; messages that
// came in are marked by the engine and never forwarded out again through the same bridge;
// over 3.1.1 (no No Local) the bridge drops its own messages coming back (echoes.ts).
import { MqttClient, type Message } from '../client/index.js';
import { ProtocolVersion, type QoS } from '../protocol/constants.js';
import { validateTopicFilter, validateTopicName } from '../topic/index.js';
import { ConnectorBase } from './base.js';
import { type BridgeLine, incomingTopic, outgoingTopic, parseBridgeLine } from './bridge-lines.js';
import {
  type Settings,
  checkKeys,
  fail,
  readBoolean,
  readInt,
  readOneOf,
  readString,
  readUrl,
  requireString,
} from './config.js';
import { BufferedSink, DELIVERY_KEYS, readDeliveryOptions, type SinkWriter } from './delivery.js';
import { type OutgoingMessage, PipelinedPublisher } from './mqtt-publisher.js';
import { template } from './template.js';
import { Echoes } from './echoes.js';
import type { Connector, ConnectorConfig, ConnectorDeps, SinkCounters } from './types.js';

const CONNECTOR_KEYS = [
  'name',
  'type',
  'url',
  'clientId',
  'username',
  'password',
  'version',
  'keepAlive',
  'topics',
  'ingress',
  'forward',
  'publishTimeoutMs',
];
const SINK_KEYS = ['topic', 'qos', 'retain', 'payload'];

interface Subscription {
  filter: string;
  qos: QoS;
  /** The local topic of a remote message; undefined when this subscription does not match it. */
  local(topic: string): string | undefined;
}

/** What the rule engine uses of an mqtt connector beyond the common Connector. */
export interface MqttBridge extends Connector {
  readonly type: 'mqtt';
  /** Local topic filters of the `out` and `both` lines: messages matching them go to forward(). */
  readonly localFilters: readonly string[];
  /**
   * Queues a local message for the remote broker if an out line matches; false if none does.
   * The payload is kept, not copied: it must not be a view of a buffer that is reused.
   */
  forward(topic: string, payload: Uint8Array, qos: QoS, retain: boolean): boolean;
  /** The counters of forward()'s buffer (undefined without out lines). */
  readonly forwardCounters: SinkCounters | undefined;
}

export function isMqttBridge(connector: Connector): connector is MqttBridge {
  return connector.type === 'mqtt';
}

export class MqttConnector extends ConnectorBase implements MqttBridge {
  declare readonly type: 'mqtt';
  readonly localFilters: readonly string[];
  readonly #lines: readonly BridgeLine[];
  readonly #subscriptions: readonly Subscription[];
  readonly #forwarder: BufferedSink<OutgoingMessage> | undefined;
  readonly #publishTimeoutMs: number;
  #client: MqttClient | undefined;
  readonly #starting: Promise<void>;
  /** Over 3.1.1 only: our own messages the remote broker will send back. */
  readonly #echoes: Echoes | undefined;

  constructor(config: ConnectorConfig, deps: ConnectorDeps) {
    super(config, 'mqtt', deps, CONNECTOR_KEYS);
    const where = this.where;
    const url = readUrl(config, 'url', where, ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']);
    this.#lines = readLines(config, where);
    this.#subscriptions = [...inSubscriptions(this.#lines), ...readIngress(config, where)];
    this.localFilters = this.#lines.filter((l) => l.direction !== 'in').map((l) => l.localFilter);
    this.#publishTimeoutMs = readInt(config, 'publishTimeoutMs', where, {
      min: 1,
      max: 3_600_000,
      fallback: 10_000,
    });
    const client = clientOptions(config, where);
    if (client.protocolVersion !== ProtocolVersion.V5) {
      this.#echoes = new Echoes(this.#subscriptions.map((s) => s.filter));
    }
    this.#forwarder = this.localFilters.length > 0 ? this.#makeForwarder(config, where) : undefined;
    this.#starting = this.#start(url, client);
  }

  forward(topic: string, payload: Uint8Array, qos: QoS, retain: boolean): boolean {
    for (const line of this.#lines) {
      const remote = outgoingTopic(line, topic);
      if (remote === undefined) continue;
      const level = qos < line.qos ? qos : line.qos;
      // The fast path: a QoS 0 forward goes into the client's next socket write when nothing
      // waits in the buffer (order kept) and the link keeps up; otherwise it is buffered.
      if (level === 0 && this.#forwarder!.idle && this.#sendAtOnce(remote, payload, retain)) {
        return true;
      }
      const bytes = Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const message: OutgoingMessage = { topic: remote, payload: bytes, qos: level, retain };
      this.#forwarder!.push(message as unknown as Record<string, unknown>, topic);
      return true;
    }
    return false;
  }

  /** Writes a QoS 0 forward past the buffer; false when it must wait (down, congested). */
  #sendAtOnce(topic: string, payload: Uint8Array, retain: boolean): boolean {
    const client = this.#client;
    if (client === undefined) return false;
    try {
      if (!client.publishAtOnce(topic, payload, retain)) return false;
    } catch {
      // Refused by the client (too large for the remote): the buffer counts it as it would.
      return false;
    }
    this.#echoes?.sent(topic, payload);
    this.#forwarder!.delivered();
    return true;
  }

  protected readonly sinkKeys = SINK_KEYS;

  #makeForwarder(config: ConnectorConfig, where: string): BufferedSink<OutgoingMessage> {
    const settings = (config.forward ?? {}) as Settings;
    const forwardWhere = `${where} forward`;
    const keys = DELIVERY_KEYS.filter((key) => key !== 'connector' && key !== 'type');
    checkKeys(settings, keys, forwardWhere);
    const options = readDeliveryOptions({ connector: this.name, ...settings }, forwardWhere, {
      batchSize: 100,
      disk: this.deps.dataDir !== undefined,
    });
    const writer = this.#pipelined((output) => output as unknown as OutgoingMessage);
    return new BufferedSink(
      `${this.name}/forward`,
      writer,
      options,
      this.deps.log,
      this.deps.dataDir,
    );
  }

  protected writer(settings: Settings, where: string): SinkWriter<OutgoingMessage> {
    const topic = template(requireString(settings, 'topic', where), where, 'topic');
    const payload = template(readString(settings, 'payload', where) ?? '${.}', where, 'payload');
    const qos = readOneOf(settings, 'qos', where, [0, 1, 2] as const, 0);
    const retain = readBoolean(settings, 'retain', where, false);
    return this.#pipelined((output) => {
      const message = { topic: topic.render(output), payload: payload.render(output), qos, retain };
      const problem = validateTopicName(message.topic);
      if (problem) throw new Error(`not a topic name: '${message.topic}' (${problem.message})`);
      return message;
    });
  }

  /** A sink's writes, pipelined (mqtt-publisher.ts): one window of acknowledgements per sink. */
  #pipelined(prepare: SinkWriter<OutgoingMessage>['prepare']): SinkWriter<OutgoingMessage> {
    const publisher = new PipelinedPublisher(this.name, this.#publishTimeoutMs, this.#echoes);
    return {
      prepare,
      write: (batch) => publisher.publish(this.#client, batch),
      attach: (sink) => publisher.attach(sink),
    };
  }

  /** Connects (trying until the broker answers; then the client reconnects by itself) and subscribes. */
  async #start(url: URL, options: ConstructorParameters<typeof MqttClient>[1]): Promise<void> {
    const client = await this.firstConnection(
      async () => {
        const client = new MqttClient(url, options);
        this.#watch(client);
        await client.start();
        return client;
      },
      (opened) => opened.end({ force: true }),
    );
    if (!client) return;
    this.#client = client;
    this.setStatus('connected');
    await this.#subscribe(client);
  }

  #watch(client: MqttClient): void {
    client.on('connect', () => {
      if (this.#client === client) this.setStatus('connected');
    });
    client.on('offline', (cause) => this.connectionLost(cause));
    client.on('reconnect', () => this.setStatus('connecting'));
    client.on('error', () => {
      this.counters.errors++;
    });
    client.on('message', (message) => this.#ingress(message));
  }

  async #subscribe(client: MqttClient): Promise<void> {
    if (this.#subscriptions.length === 0) return;
    const noLocal = client.protocolVersion === ProtocolVersion.V5;
    const requests = this.#subscriptions.map((s) => ({
      topicFilter: s.filter,
      qos: s.qos,
      noLocal,
    }));
    try {
      await client.subscribe(requests);
    } catch (error) {
      this.counters.errors++;
      this.deps.log.error(
        { connector: this.name, error: (error as Error).message },
        'bridge subscribe failed',
      );
    }
  }

  get forwardCounters(): SinkCounters | undefined {
    return this.#forwarder?.counters;
  }

  #ingress(message: Message): void {
    if (this.#echoes?.isEcho(message.topic, message.payload)) return;
    for (const subscription of this.#subscriptions) {
      const topic = subscription.local(message.topic);
      if (topic === undefined) continue;
      this.deps.ingress(this.name, {
        topic,
        payload: Buffer.from(
          message.payload.buffer,
          message.payload.byteOffset,
          message.payload.byteLength,
        ),
        qos: message.qos,
        retain: message.retain,
        properties: message.properties,
      });
      return;
    }
  }

  override async close(): Promise<void> {
    await this.#forwarder?.close();
    await super.close();
  }

  protected async disconnect(): Promise<void> {
    await this.#starting;
    await this.#client?.end({ timeout: 2_000 }).catch(() => {});
  }
}

function readLines(config: Settings, where: string): BridgeLine[] {
  const topics = config.topics ?? [];
  if (!Array.isArray(topics)) fail(where, 'topics must be a list of bridge lines');
  return topics.map((line, i) => {
    if (typeof line !== 'string') fail(where, `topics[${i}] must be a string`);
    return parseOrFail(() => parseBridgeLine(line), where, `topics[${i}]`);
  });
}

function parseOrFail<T>(parse: () => T, where: string, key: string): T {
  try {
    return parse();
  } catch (error) {
    return fail(where, `${key}: ${(error as Error).message}`);
  }
}

function inSubscriptions(lines: readonly BridgeLine[]): Subscription[] {
  return lines
    .filter((line) => line.direction !== 'out')
    .map((line) => ({
      filter: line.remoteFilter,
      qos: line.qos,
      local: (topic) => incomingTopic(line, topic),
    }));
}

/** `ingress: [{remote: 'x/#', qos: 1}]`: remote messages kept under their own topic. */
function readIngress(config: Settings, where: string): Subscription[] {
  const entries = config.ingress ?? [];
  if (!Array.isArray(entries)) fail(where, 'ingress must be a list of {remote, qos}');
  return entries.map((entry: Settings, i) => {
    const at = `${where} ingress[${i}]`;
    if (typeof entry !== 'object' || entry === null) fail(at, 'must be a map {remote, qos}');
    checkKeys(entry, ['remote', 'qos'], at);
    const filter = requireString(entry, 'remote', at);
    const problem = validateTopicFilter(filter);
    if (problem) fail(at, `remote '${filter}' is not a topic filter (${problem.message})`);
    const qos = readOneOf(entry, 'qos', at, [0, 1, 2] as const, 0);
    return { filter, qos, local: (topic) => topic };
  });
}

function clientOptions(config: Settings, where: string) {
  const version = readOneOf(config, 'version', where, [4, 5] as const, 5);
  return {
    protocolVersion: version === 5 ? ProtocolVersion.V5 : ProtocolVersion.V311,
    clientId: readString(config, 'clientId', where) ?? `culex-bridge-${config.name as string}`,
    username: readString(config, 'username', where),
    password: readString(config, 'password', where),
    keepAlive: readInt(config, 'keepAlive', where, { min: 0, max: 65_535, fallback: 30 }),
    reconnect: { initialDelay: 100, maxDelay: 2_000 },
    connectTimeout: 5_000,
    queueQoS0: false,
    // Topic Aliases halve the bridge's messages per CPU-second (a properties block per
    // PUBLISH; bench:connectors 0.87M vs 1.77M) and a Mosquitto grants only 10 of them.
    topicAliases: false,
  };
}
