// One client connection: bytes in → packets → handlers; packets out through a batched buffer.
// Transport-agnostic: a TCP socket or a WebSocket stream both fit ByteStream.
import { PacketType, type ProtocolVersion, type QoS, ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { encode, encodedSize, PacketDecoder, publishPacketIdOffset } from '../protocol/index.js';
import {
  type ConnackPacket,
  type DisconnectPacket,
  NO_PROPERTIES,
  type Packet,
  type Properties,
} from '../protocol/packets.js';
import type { BrokerCore } from './core.js';
import { dispatch } from './handlers/index.js';
import { encodedPublish, type Message } from './message.js';
import { ClientThrottle } from './limits.js';
import { OutputBuffer, type PacketFraming } from './output.js';
import type { ClientInfo } from './ports.js';
import type { Outlet, Session } from './session.js';
import type { TopicAliases } from './topic-alias.js';

export interface ByteStream {
  write(chunk: Uint8Array): boolean;
  /** A header to put in front of every packet (WebSocket: one frame per packet). */
  readonly framing?: PacketFraming;
  end(): void;
  destroy(): void;
  pause(): unknown;
  resume(): unknown;
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface TransportInfo {
  /** 'mqtt-sn': an MQTT-SN client behind the UDP gateway (src/gateway). */
  transport: 'tcp' | 'tls' | 'ws' | 'wss' | 'mqtt-sn';
  remoteAddress: string;
  remotePort?: number;
  certificate?: { commonName?: string; subjectAltNames: string[] };
}

const CONNECTION = Symbol('culex.connection');
type Tagged = ByteStream & { [CONNECTION]: Connection };

function onStreamData(this: Tagged, chunk: Buffer): void {
  this[CONNECTION].onData(chunk);
}

function onStreamError(this: Tagged): void {
  this.destroy();
}

function onStreamClose(this: Tagged): void {
  const connection = this[CONNECTION];
  connection.core.connectionClosed(connection);
}

export type ConnectionState = 'awaiting-connect' | 'authenticating' | 'connected' | 'closed';

export interface PendingWill {
  message: Message;
  /** Will Delay Interval, seconds (5.0). */
  delay: number;
}

export class Connection implements Outlet {
  state: ConnectionState = 'awaiting-connect';
  protocolVersion: ProtocolVersion = 4;
  clientId = '';
  session: Session | undefined;
  info: ClientInfo | undefined;
  keepAlive = 0;
  lastActivity: number;
  readonly openedAt: number;
  sendQuota: number;
  /** Largest packet the client accepts (5.0 Maximum Packet Size). */
  clientMaximumPacketSize = Number.POSITIVE_INFINITY;
  aliases: TopicAliases | undefined;
  will: PendingWill | undefined;
  /** Set by DISCONNECT: a normal close publishes no will. */
  disconnectReason: number | undefined;
  /** Why the server closed the connection, for the disconnect log line. */
  closeReason: string | undefined;
  dirty = false;
  /** Per-client figures for the admin API: PUBLISH packets and wire bytes. */
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  private readonly decoder: PacketDecoder;
  private readonly output: OutputBuffer;
  private paused = false;
  private throttled = false;
  /** Per-client rate limits, when configured. */
  readonly throttle: ClientThrottle | undefined;

  constructor(
    readonly core: BrokerCore,
    readonly stream: ByteStream,
    readonly transport: TransportInfo,
  ) {
    this.openedAt = this.lastActivity = core.now();
    this.sendQuota = core.options.maxInflightMessages;
    this.decoder = new PacketDecoder({ maximumPacketSize: core.options.maxPacketSize });
    this.output = new OutputBuffer(stream.framing);
    if (ClientThrottle.needed(core.options))
      this.throttle = new ClientThrottle(core.options, this.openedAt);
    // Shared listeners that find the connection on the stream: no closures per connection.
    (stream as Tagged)[CONNECTION] = this;
    stream.on('data', onStreamData as (chunk: Buffer) => void);
    stream.on('error', onStreamError as (error: Error) => void);
    stream.on('close', onStreamClose as () => void);
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  /** @internal Called by the stream's data listener. */
  onData(chunk: Buffer): void {
    this.core.stats.bytesReceived += chunk.length;
    this.bytesIn += chunk.length;
    this.lastActivity = this.core.now();
    if (this.throttle !== undefined)
      this.pauseFor(this.throttle.onBytes(chunk.length, this.lastActivity));
    try {
      this.decoder.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.processPackets();
  }

  private processPackets(): void {
    while (!this.paused && !this.throttled && this.state !== 'closed') {
      let packet: Packet | undefined;
      try {
        packet = this.decoder.next();
        if (packet === undefined) return;
        this.core.stats.messagesReceived++;
        if (packet.type === PacketType.Publish) this.messagesIn++;
        if (this.decoder.protocolVersion !== undefined)
          this.protocolVersion = this.decoder.protocolVersion;
        const pending = dispatch(this, packet);
        if (pending !== undefined) this.waitFor(pending);
      } catch (error) {
        this.fail(error);
        return;
      }
    }
  }

  /** An asynchronous step (authentication, a slow authorizer): hold later packets until done. */
  private waitFor(pending: Promise<void>): void {
    this.paused = true;
    this.stream.pause();
    pending.then(
      () => {
        this.paused = false;
        if (this.state === 'closed') return;
        if (!this.throttled) this.stream.resume();
        this.processPackets();
      },
      (error) => this.fail(error),
    );
  }

  /** Rate limits: stop reading and processing for a while; TCP then slows the client down. */
  pauseFor(ms: number): void {
    if (ms <= 0 || this.throttled || this.state === 'closed') return;
    this.throttled = true;
    this.stream.pause();
    setTimeout(() => {
      this.throttled = false;
      if (this.paused || this.state === 'closed') return;
      this.stream.resume();
      this.processPackets();
    }, ms).unref();
  }

  /** The one place where errors become CONNACK or DISCONNECT and the connection closes. */
  fail(error: unknown): void {
    if (this.state === 'closed') return;
    const mqtt = error instanceof MqttError ? error : undefined;
    const reasonCode = mqtt?.reasonCode ?? ReasonCode.UnspecifiedError;
    this.closeReason ??= mqtt?.message ?? 'internal error';
    this.core.log.debug(
      { clientId: this.clientId, err: String(error) },
      'closing connection on error',
    );
    if (mqtt === undefined)
      this.core.log.error({ err: error, clientId: this.clientId }, 'unexpected error');
    if (this.state === 'awaiting-connect' || this.state === 'authenticating') {
      const connack = this.core.events.clientConnack;
      if (connack !== undefined && mqtt !== undefined) connack(this, reasonCode);
      // [MQTT-3.2.2-7] a refusing CONNACK carries a reason code ≥ 0x80; then close.
      if (mqtt !== undefined && this.protocolVersion === 5)
        this.sendFitting({
          type: PacketType.Connack,
          sessionPresent: false,
          reasonCode,
          properties: reasonProps(mqtt),
        });
      else if (mqtt !== undefined && isConnackReturnable(reasonCode))
        this.send({
          type: PacketType.Connack,
          sessionPresent: false,
          reasonCode,
          properties: NO_PROPERTIES,
        });
    } else if (this.protocolVersion === 5) {
      // [MQTT-4.13.1-1] a server that detects a Malformed Packet or Protocol Error MAY send
      // DISCONNECT with the reason code before closing.
      this.sendFitting({
        type: PacketType.Disconnect,
        reasonCode,
        properties: mqtt ? reasonProps(mqtt) : NO_PROPERTIES,
      });
    }
    this.close();
  }

  /** [MQTT-3.2.2-19] [MQTT-3.14.2-3] the Reason String goes only if the client's Maximum Packet Size allows. */
  private sendFitting(packet: ConnackPacket | DisconnectPacket): void {
    if (encodedSize(packet, this.protocolVersion) > this.clientMaximumPacketSize)
      packet = { ...packet, properties: NO_PROPERTIES };
    this.send(packet);
  }

  /** Closes after writing what is pending. */
  close(): void {
    if (this.state === 'closed') return;
    this.flush();
    this.stream.end();
    this.core.connectionClosed(this);
    // A peer that never reads would keep the socket half-open: destroy it soon.
    setTimeout(() => this.stream.destroy(), 1000).unref();
  }

  send(packet: Packet): void {
    this.sendEncoded(encode(packet, this.protocolVersion));
  }

  /** Queues a packet already encoded for this connection's protocol version. */
  sendEncoded(bytes: Uint8Array): void {
    this.output.append(bytes);
    this.core.stats.messagesSent++;
    this.scheduleFlush();
  }

  sendPublish(
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
    packetId: number,
    dup: boolean,
  ): boolean {
    const now = this.core.now();
    const alias = this.aliases?.outbound(message.topic);
    const bytes = encodedPublish(
      message,
      {
        version: this.protocolVersion,
        qos,
        retain,
        subscriptionIdentifiers,
        topicAlias: alias?.alias,
        aliasOnly: alias?.known,
      },
      now,
    );
    // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size.
    if (bytes.length > this.clientMaximumPacketSize) {
      this.core.stats.dropped.tooLarge++;
      const dropped = this.core.events.deliveryDropped;
      if (dropped !== undefined && this.session !== undefined)
        dropped(this.session, message, 'too_large');
      return false;
    }
    const delivered = this.core.events.messageDelivered;
    if (delivered !== undefined && !dup) delivered(this, message, qos);
    if (qos === 0) this.output.append(bytes);
    else this.output.appendPublish(bytes, publishPacketIdOffset(bytes), packetId, dup);
    // [MQTT-3.3.2-12] once the client has the topic with the alias, the alias alone will do.
    if (alias !== undefined) alias.known = true;
    this.core.stats.publishSent++;
    this.core.stats.messagesSent++;
    this.core.stats.publishSentByQos[qos]++;
    this.core.stats.payloadBytesSentByQos[qos] += message.payload.length;
    this.messagesOut++;
    this.scheduleFlush();
    return true;
  }

  sendPubrel(packetId: number): void {
    this.send({
      type: PacketType.Pubrel,
      packetId,
      reasonCode: ReasonCode.Success,
      properties: NO_PROPERTIES,
    });
  }

  mayRead(topic: string): boolean {
    const authorizer = this.core.adapters.authorizer;
    if (authorizer?.authorizeRead === undefined || this.info === undefined) return true;
    return authorizer.authorizeRead(this.info, topic);
  }

  acceptsQos0(): boolean {
    // Above the memory high-water mark, any backlog at all makes a consumer slow.
    if (this.core.admission.isOverloaded && this.stream.writableLength > 0) return false;
    return (
      this.stream.writableLength + this.output.pendingBytes <
      this.core.options.maxSocketBacklogBytes
    );
  }

  private scheduleFlush(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.core.scheduleFlush(this);
  }

  /** Called once per tick by the broker for each connection with output. */
  flush(): void {
    this.dirty = false;
    if (this.output.isEmpty) return;
    const bytes = this.output.pendingPacketBytes;
    this.core.stats.bytesSent += bytes;
    this.bytesOut += bytes;
    if (this.state === 'closed') {
      this.output.clear();
      return;
    }
    this.output.flush(this.stream);
  }

  markClosed(): void {
    this.state = 'closed';
    this.output.clear();
  }
}

function reasonProps(error: MqttError): Properties {
  return { reasonString: error.message };
}

/** 3.1.1 CONNACK can only say these (section 3.2.2.3); others close without CONNACK. */
function isConnackReturnable(reasonCode: number): boolean {
  return (
    reasonCode === ReasonCode.UnsupportedProtocolVersion ||
    reasonCode === ReasonCode.ClientIdentifierNotValid ||
    reasonCode === ReasonCode.ServerUnavailable ||
    reasonCode === ReasonCode.ServerBusy ||
    reasonCode === ReasonCode.BadUserNameOrPassword ||
    reasonCode === ReasonCode.NotAuthorized ||
    reasonCode === ReasonCode.Banned ||
    reasonCode === ReasonCode.QuotaExceeded ||
    reasonCode === ReasonCode.ConnectionRateExceeded
  );
}
