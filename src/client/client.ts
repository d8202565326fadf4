// The MQTT client: a promise API over one logical session that survives reconnects.
import { PacketType, type ProtocolVersion, ReasonCode } from '../protocol/constants.js';
import {
  type ConnackPacket,
  type DisconnectPacket,
  NO_PROPERTIES,
  type Packet,
  type Properties,
  type PublishPacket,
} from '../protocol/packets.js';
import { topicMatches } from '../topic/match.js';
import { buildConnectPacket } from './connect-packet.js';
import { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import {
  ConnectionError,
  ConnectionRefusedError,
  MqttClientError,
  ServerDisconnectError,
  clientClosed,
  invalidArgument,
} from './errors.js';
import { Inbound } from './inbound.js';
import { KeepAlive } from './keep-alive.js';
import { MessageHold } from './message-hold.js';
import { MessageStream } from './message-stream.js';
import {
  type BrokerAddress,
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { Outbound, type PublishResult } from './outbound.js';
import { PacketWriter } from './packet-writer.js';
import { PublishBuilder } from './publish-packet.js';
import { Requester, type RequestOptions } from './request.js';
import { ServerList, formatAddress, leaveReason } from './servers.js';
import { SessionSink } from './session-sink.js';
import { Subscriptions, type SubscribeOptions, type SubscriptionRequest } from './subscriptions.js';
import type { ClientEvents, EndOptions, Message, PublishOptions } from './types.js';

export type { ClientEvents, EndOptions, Message, PublishOptions } from './types.js';

type State = 'connecting' | 'connected' | 'reconnecting' | 'closed';

const RESOLVED: Promise<undefined> = Promise.resolve(undefined);
const RETAIN: PublishOptions = Object.freeze({ qos: 0, retain: true });
const NOT_RETAINED: PublishOptions = Object.freeze({ qos: 0, retain: false });
const noop = () => {};

/** Marks a promise as handled, so that a caller who ignores it causes no unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

export class MqttClient extends Emitter<ClientEvents> {
  readonly options: ResolvedOptions;
  readonly #servers: ServerList;
  readonly #writer: PacketWriter;
  readonly #outbound: Outbound;
  readonly #inbound: Inbound;
  readonly #subscriptions = new Subscriptions();
  readonly #publishes = new PublishBuilder();
  readonly #requester = new Requester(this);
  readonly #sink: SessionSink;
  readonly #hold: MessageHold;
  #connection: Connection | undefined;
  #keepAlive: KeepAlive | undefined;
  #state: State = 'connecting';
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #serverDisconnect: DisconnectPacket | undefined;
  #connack: ConnackPacket | undefined;
  /** The Client Identifier in use (the broker's Assigned Client Identifier when it gave one). */
  clientId: string;

  /**
   * `url` is one broker, or several tried in turn (the first reachable one is used; after a
   * lost connection, the next one).
   */
  constructor(url: string | URL | readonly (string | URL)[], options: ClientOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.#servers = new ServerList(url);
    this.clientId = this.options.clientId;
    this.#writer = new PacketWriter(this.options.protocolVersion);
    this.#sink = new SessionSink(this.#writer);
    this.#outbound = new Outbound(this.options.maxQueuedMessages, this.options.queueQoS0);
    this.#inbound = new Inbound(options.properties?.topicAliasMaximum ?? 0);
    this.#hold = new MessageHold(
      this.options.maxHeldMessages,
      () => this.listenerCount('message') > 0,
      (message) => this.emit('message', message),
    );
  }

  override on<K extends keyof ClientEvents>(event: K, listener: (arg: ClientEvents[K]) => void) {
    super.on(event, listener);
    if (event === 'message') this.#hold.listenerAdded();
    return this;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  get protocolVersion(): ProtocolVersion {
    return this.options.protocolVersion;
  }

  /** The last CONNACK: the server's limits and Session Present. */
  get connack(): ConnackPacket | undefined {
    return this.#connack;
  }

  /** The broker of the current connection (or attempt), as a URL without credentials. */
  get server(): string {
    return formatAddress(this.#servers.current);
  }

  /** The brokers, in the order they are tried (a 0x9D Server Reference replaces one). */
  get servers(): readonly BrokerAddress[] {
    return this.#servers.addresses;
  }

  /** Whether the broker resumed a session at the last CONNACK; undefined before it. */
  get sessionPresent(): boolean | undefined {
    return this.#connack?.sessionPresent;
  }

  /** Messages dropped because `maxHeldMessages` were already waiting for a listener. */
  get droppedMessages(): number {
    return this.#hold.dropped;
  }

  /** Messages waiting for a connection or for the server's Receive Maximum. */
  get queuedMessages(): number {
    return this.#outbound.queued;
  }

  /** Opens the first connection; the connect() function calls this. */
  /** Tries each broker once, in order (following Server References), until one accepts. */
  async start(): Promise<ConnackPacket> {
    for (;;) {
      try {
        return await this.#open(this.#servers.take());
      } catch (error) {
        this.#servers.failed(leaveReason(error));
        if (this.#state === 'closed' || this.#servers.roundFailed) {
          this.#close(error as Error);
          throw error;
        }
        this.emit('error', error as Error);
      }
    }
  }

  /**
   * Publishes and resolves when the QoS flow completes: at once (or when the writer has
   * room) for QoS 0, on PUBACK for QoS 1, on PUBCOMP for QoS 2.
   */
  publish(
    topic: string,
    payload?: string | Uint8Array,
    options: PublishOptions = {},
  ): Promise<PublishResult | undefined> {
    if (this.#state === 'closed') return handled(Promise.reject(clientClosed()));
    try {
      const packet = this.#publishes.build(topic, payload, options);
      // Outbound's promises are safe to ignore: their rejections are already handled.
      const pending = this.#outbound.publish(packet);
      if (pending) return pending;
    } catch (error) {
      return handled(Promise.reject(error));
    }
    return this.#writer.congested ? this.#writer.whenWritable().then(() => undefined) : RESOLVED;
  }

  /**
   * A QoS 0 PUBLISH without a promise, for forwarders that keep their own buffer: sent (into
   * the connection's next write) and true when it can go at once (connected, no message queued
   * ahead of it, the writer under its high-water mark); false, and nothing sent, otherwise.
   * Throws an MqttClientError for a message the broker would refuse (INVALID_ARGUMENT,
   * PACKET_TOO_LARGE).
   */
  publishAtOnce(topic: string, payload: Uint8Array, retain: boolean): boolean {
    if (this.#state !== 'connected' || this.#outbound.queued > 0 || this.#writer.congested) {
      return false;
    }
    this.#outbound.publish(this.#publishes.build(topic, payload, retain ? RETAIN : NOT_RETAINED));
    return true;
  }

  /**
   * Subscribes and resolves with the granted reason codes, one per filter. Rejects with a
   * SUBSCRIBE_FAILED error (carrying all the codes) when the broker refused any filter.
   */
  subscribe(
    filters: string | readonly (string | SubscriptionRequest)[],
    options: SubscribeOptions = {},
  ): Promise<number[]> {
    if (this.#state === 'closed') return handled(Promise.reject(clientClosed()));
    let packet: ReturnType<Subscriptions['build']>;
    try {
      packet = this.#subscriptions.build(filters, options);
    } catch (error) {
      return handled(Promise.reject(error));
    }
    return handled(
      this.#outbound
        .subscribe(packet)
        .then((suback) => this.#subscriptions.onSuback(packet, suback)),
    );
  }

  /** Unsubscribes; resolves with the UNSUBACK reason codes (5.0) or an empty list (3.1.1). */
  unsubscribe(filters: string | readonly string[], properties: Properties = {}): Promise<number[]> {
    if (this.#state === 'closed') return handled(Promise.reject(clientClosed()));
    const topicFilters = typeof filters === 'string' ? [filters] : [...filters];
    if (topicFilters.length === 0)
      return handled(Promise.reject(invalidArgument('No topic filters')));
    this.#subscriptions.remove(topicFilters);
    const packet = { type: PacketType.Unsubscribe, topicFilters, properties } as const;
    return handled(this.#outbound.unsubscribe(packet).then((unsuback) => unsuback.reasonCodes));
  }

  /** Incoming messages as an async iterator, optionally only those matching `filter`. */
  messages(filter?: string): MessageStream {
    return new MessageStream(
      this,
      filter === undefined ? undefined : (t) => topicMatches(filter, t),
    );
  }

  /** 5.0 request/response: publishes with Response Topic and Correlation Data, awaits the reply. */
  request(
    topic: string,
    payload?: string | Uint8Array,
    options: RequestOptions = {},
  ): Promise<Message> {
    return handled(this.#requester.request(topic, payload, options));
  }

  /** Answers a request message on its Response Topic with its Correlation Data. */
  respond(request: Message, payload?: string | Uint8Array, options: PublishOptions = {}) {
    return handled(this.#requester.respond(request, payload, options));
  }

  /**
   * Closes the client: waits (unless forced) for unacknowledged messages, sends DISCONNECT,
   * closes the connection. Pending operations are rejected with CLIENT_CLOSED.
   */
  async end(options: EndOptions = {}): Promise<void> {
    if (this.#state === 'closed') return;
    if (!options.force && this.#state === 'connected') {
      await this.#outbound.whenIdle(options.timeout ?? 5_000);
    }
    const connection = this.#connection;
    const wasConnected = this.#state === 'connected';
    this.#close(clientClosed());
    if (!connection) return;
    if (wasConnected) {
      try {
        this.#writer.send({
          type: PacketType.Disconnect,
          reasonCode: options.reasonCode ?? ReasonCode.NormalDisconnection,
          properties: options.properties ?? NO_PROPERTIES,
        });
      } catch {
        // a refused DISCONNECT (too large) still lets the connection close
      }
    }
    await connection.end();
  }

  /** Drops the connection at once, without DISCONNECT (so the broker publishes the Will). */
  destroy(): void {
    const connection = this.#connection;
    this.#close(clientClosed());
    connection?.fail(clientClosed());
  }

  async #open(address: BrokerAddress): Promise<ConnackPacket> {
    const connection = new Connection(
      this.options.protocolVersion,
      this.options.maximumPacketSize,
      this.#writer,
      {
        onPacket: (packet) => this.#onPacket(connection, packet),
        onClose: (error) => this.#onClose(connection, error),
      },
    );
    this.#connection = connection;
    this.#serverDisconnect = undefined;
    const transportOptions = { tls: this.options.source.tls, timeout: this.options.connectTimeout };
    // Once connected, the client id in use (maybe assigned) goes to every broker in turn.
    const reconnecting = this.#connack !== undefined;
    const connect = buildConnectPacket(this.options, address, this.clientId, reconnecting);
    const connack = await connection.open(address, transportOptions, connect);
    if (connack.reasonCode >= ReasonCode.UnspecifiedError) {
      const { reasonString, serverReference } = connack.properties;
      const refused = new ConnectionRefusedError(connack.reasonCode, reasonString, serverReference);
      connection.fail(refused);
      throw refused;
    }
    if (this.#state === 'closed') {
      connection.fail(clientClosed());
      throw clientClosed();
    }
    this.#onConnected(connection, connack);
    return connack;
  }

  #onConnected(connection: Connection, connack: ConnackPacket): void {
    const props = connack.properties;
    // [MQTT-3.2.2-4] a client that asked for a clean start cannot have a session on the server.
    if (connack.sessionPresent && this.options.clean) {
      connection.fail(new MqttClientError('PROTOCOL_ERROR', 'Session Present on a clean start'));
      return;
    }
    connection.established = true;
    this.#connack = connack;
    this.#state = 'connected';
    this.#attempt = 0;
    this.#servers.connected();
    this.clientId = props.assignedClientIdentifier ?? this.clientId;
    this.#writer.maximumPacketSize = props.maximumPacketSize ?? Number.POSITIVE_INFINITY;
    this.#outbound.receiveMaximum = props.receiveMaximum ?? 65_535;
    const aliasMaximum = this.options.topicAliases ? (props.topicAliasMaximum ?? 0) : 0;
    this.#sink.reset(props, aliasMaximum);
    this.#inbound.reset(connack.sessionPresent);
    this.#startKeepAlive(connection, props.serverKeepAlive ?? this.options.keepAlive);
    this.#outbound.attach(this.#sink);
    if (!connack.sessionPresent) this.#resubscribe();
    this.#outbound.resume();
    this.emit('connect', connack);
  }

  /** [MQTT-3.1.2-21] [MQTT-3.2.2-21] the Server Keep Alive replaces the client's own. */
  #startKeepAlive(connection: Connection, seconds: number): void {
    const intervalMs = seconds * 1000;
    const pingTimeoutMs = this.options.pingTimeout ?? Math.max(1000, intervalMs / 2);
    this.#keepAlive = new KeepAlive(
      intervalMs,
      pingTimeoutMs,
      () => this.#writer.lastWrite,
      () => this.#sink.send({ type: PacketType.Pingreq }),
      () =>
        connection.fail(
          new ConnectionError('PING_TIMEOUT', `No PINGRESP within ${pingTimeoutMs} ms`),
        ),
    );
    this.#keepAlive.start();
  }

  /** The broker kept no session: subscriptions made before are made again. */
  #resubscribe(): void {
    for (const packet of this.#subscriptions.resubscribePackets()) {
      this.#outbound
        .subscribe(packet)
        .then((suback) => this.#subscriptions.onSuback(packet, suback))
        .catch((error) => this.emit('error', error));
    }
  }

  #onPacket(connection: Connection, packet: Packet): void {
    switch (packet.type) {
      case PacketType.Publish:
        this.#inbound.onPublish(packet, this.#sink, this.#deliver);
        break;
      case PacketType.Puback:
      case PacketType.Pubrec:
      case PacketType.Pubcomp:
        this.#outbound.onPublishAck(packet);
        break;
      case PacketType.Pubrel:
        this.#inbound.onPubrel(packet, this.#sink);
        break;
      case PacketType.Suback:
      case PacketType.Unsuback:
        this.#outbound.onSubscribeAck(packet);
        break;
      case PacketType.Pingresp:
        this.#keepAlive?.onPingResponse();
        break;
      case PacketType.Disconnect:
        // The server closes after DISCONNECT; closing from this side too frees us at once.
        this.#serverDisconnect = packet;
        this.emit('disconnect', packet);
        connection.fail(
          new ServerDisconnectError(
            packet.reasonCode,
            packet.properties.reasonString,
            packet.properties.serverReference,
          ),
        );
        break;
      default:
        connection.fail(
          new ConnectionError('CONNECTION_LOST', `Unexpected packet type ${packet.type}`),
        );
    }
  }

  readonly #deliver = (message: PublishPacket): void => {
    this.#requester.onMessage(message);
    this.#hold.deliver(message);
  };

  #onClose(connection: Connection, error: Error | undefined): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    this.#keepAlive?.stop();
    this.#keepAlive = undefined;
    this.#outbound.detach();
    this.#writer.detach();
    if (!connection.established || this.#state === 'closed') return;
    const disconnect = this.#serverDisconnect;
    const cause = disconnect
      ? new ServerDisconnectError(
          disconnect.reasonCode,
          disconnect.properties.reasonString,
          disconnect.properties.serverReference,
        )
      : (error ?? new ConnectionError('CONNECTION_LOST', 'Connection closed by the server'));
    this.emit('offline', cause);
    const takenOver = disconnect?.reasonCode === ReasonCode.SessionTakenOver;
    if (this.options.reconnect === false || takenOver) {
      this.emit('error', cause);
      this.#close(cause);
      return;
    }
    this.#state = 'reconnecting';
    this.#servers.lost(leaveReason(cause));
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const policy = this.options.reconnect;
    if (policy === false) return;
    const delay = this.#servers.nextDelay(policy);
    const address = this.#servers.take();
    this.#attempt++;
    this.emit('reconnect', { attempt: this.#attempt, delay, server: formatAddress(address) });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state !== 'reconnecting') return;
      this.#open(address).catch((error) => {
        if (this.#state !== 'reconnecting') return;
        this.#servers.failed(leaveReason(error));
        this.emit('error', error);
        this.#scheduleReconnect();
      });
    }, delay);
  }

  /** Final state: pending operations fail with `reason`, iterators end. */
  #close(reason: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#keepAlive?.stop();
    this.#outbound.failAll(reason);
    this.#requester.failAll(reason);
    this.#hold.clear();
    this.emit('end', undefined);
  }
}
