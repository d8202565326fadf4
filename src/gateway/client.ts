// One MQTT-SN client behind the gateway: its state (MQTT-SN 6.14, Figure 4), its topic ids,
// the messages waiting for it, and the MQTT 5.0 connection (Upstream) that is its face in
// the broker. Sessions, retained messages, ACLs, $SYS and the admin API all see that one.
import { PacketType, type QoS, ReasonCode } from '../protocol/constants.js';
import { NO_PROPERTIES, type Packet } from '../protocol/packets.js';
import {
  SnMsgType as M,
  type SnPacket,
  SnReturnCode,
  shortTopicId,
  TopicIdType,
} from '../mqttsn/index.js';
import type { GatewayContext, SnAddress } from './context.js';
import { fromBroker } from './outbound.js';
import { TopicRegistry } from './registry.js';
import { SEND_TRIES, Unacknowledged } from './unacked.js';
import { Upstream, type UpstreamSink } from './upstream.js';

/** 'will-topic'/'will-msg': the will prompts of CONNECT (6.2); 'connecting': awaiting CONNACK. */
export type SnClientState =
  | 'will-topic'
  | 'will-msg'
  | 'connecting'
  | 'active'
  | 'asleep'
  | 'awake'
  | 'gone';

export interface SnWill {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
}

/** A message for the client: a PUBLISH waits for a topic id, anything else goes as it is. */
export type Outgoing =
  | {
      kind: 'publish';
      topic: string;
      payload: Buffer;
      qos: QoS;
      retain: boolean;
      dup: boolean;
      msgId: number;
    }
  | { kind: 'packet'; packet: SnPacket };

interface PendingRegister {
  msgId: number;
  topicId: number;
  topic: string;
  sentAt: number;
  tries: number;
}

/** CONNECT to CONNACK, will prompts included. */
const CONNECT_TIMEOUT_MS = 30_000;

export class SnClient implements UpstreamSink {
  state: SnClientState = 'connecting';
  lastHeard: number;
  /** Keep Alive (CONNECT Duration) or, asleep, the sleep Duration; seconds. */
  duration: number;
  will: SnWill | undefined;
  readonly registry: TopicRegistry;
  /** The client's QoS 1/2 PUBLISHes the broker has not finished: MsgId → TopicId (for PUBACK). */
  readonly inflight = new Map<number, number>();
  /** SUBSCRIBEs awaiting SUBACK: MsgId → the TopicId to report. */
  readonly subscribing = new Map<number, number>();
  /** Broker's Receive Maximum: QoS 1/2 PUBLISHes in flight from this client. */
  inflightLimit = 1;
  readonly outbox: Outgoing[] = [];
  /** The gateway's QoS 1/2 messages the client has not acknowledged yet (6.13). */
  readonly unacked = new Unacknowledged();
  private queuedPublishes = 0;
  private registering: PendingRegister | undefined;
  private nextMsgId = 0;
  private upstream: Upstream | undefined;

  constructor(
    readonly gateway: GatewayContext,
    readonly address: SnAddress,
    readonly clientId: string,
    readonly cleanSession: boolean,
    duration: number,
  ) {
    this.lastHeard = gateway.now();
    this.duration = duration;
    this.registry = new TopicRegistry(gateway.options.maxTopicsPerClient);
  }

  send(packet: SnPacket): void {
    this.gateway.transmit(this.address, packet);
  }

  /** Opens the broker connection: an MQTT 5.0 CONNECT with what the MQTT-SN CONNECT said. */
  openUpstream(): void {
    const { broker, options } = this.gateway;
    this.state = 'connecting';
    const upstream = new Upstream(this);
    this.upstream = upstream;
    broker.accept(upstream, {
      transport: 'mqtt-sn',
      remoteAddress: this.address.host,
      remotePort: this.address.port,
    });
    if (upstream.isClosed) {
      this.refuse(SnReturnCode.Congestion);
      return;
    }
    upstream.send({
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: this.cleanSession,
      // The gateway keeps the time (sleep outlasts Keep Alive) and fires the will itself.
      keepAlive: 0,
      clientId: this.clientId,
      username: options.username,
      password: options.password === undefined ? undefined : Buffer.from(options.password),
      properties: {
        sessionExpiryInterval: this.cleanSession ? 0 : options.sessionExpiryInterval,
        // What the broker sends beyond this waits in the session, not in the sleep buffer.
        receiveMaximum: options.maxSleepBuffer,
      },
    });
  }

  toBroker(packet: Packet): void {
    this.upstream?.send(packet);
  }

  fromBroker(packet: Packet): void {
    fromBroker(this, packet);
  }

  /** The broker closed the connection (takeover, kick, shutdown, refused CONNECT). */
  upstreamClosed(): void {
    if (this.state === 'gone') return;
    if (this.state === 'active' || this.state === 'awake' || this.state === 'asleep')
      this.send({ type: M.Disconnect });
    this.forget();
  }

  refuse(returnCode: SnReturnCode): void {
    this.send({ type: M.Connack, returnCode });
    this.forget();
  }

  /** CONNACK accepted: the client is active (6.2), or active again after sleeping (6.14). */
  activate(duration: number): void {
    this.state = 'active';
    this.duration = duration;
    this.send({ type: M.Connack, returnCode: SnReturnCode.Accepted });
    this.pump();
  }

  /** DISCONNECT with a Duration: asleep; the gateway holds its messages (6.14). */
  sleep(duration: number): void {
    this.state = 'asleep';
    this.duration = duration;
    this.send({ type: M.Disconnect });
  }

  /** PINGREQ with the client id while asleep: send what waited, then PINGRESP (6.14). */
  wake(): void {
    this.state = 'awake';
    for (const packet of this.unacked.all(this.gateway.now())) this.send(packet);
    this.pump();
  }

  /** DISCONNECT without a Duration: a normal end, no will (6.12). */
  disconnect(): void {
    this.toBroker({ type: PacketType.Disconnect, reasonCode: 0, properties: NO_PROPERTIES });
    this.send({ type: M.Disconnect });
    this.forget();
  }

  /** Keep-alive or sleep timer ran out (6.11, 6.14): the client is lost, its will goes out. */
  lose(): void {
    const will = this.will;
    if (will !== undefined && this.upstream !== undefined) {
      const packetId = will.qos === 0 ? undefined : this.freePacketId();
      this.toBroker({
        type: PacketType.Publish,
        topic: will.topic,
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        dup: false,
        packetId,
        properties: NO_PROPERTIES,
      });
    }
    this.toBroker({ type: PacketType.Disconnect, reasonCode: 0, properties: NO_PROPERTIES });
    this.forget();
  }

  /** The gateway closes: the client is told, the broker sees a lost connection. */
  shutdown(): void {
    if (this.state !== 'gone') this.send({ type: M.Disconnect });
    this.forget();
  }

  /** Replaced by a new CONNECT from the same address. */
  replace(): void {
    this.toBroker({ type: PacketType.Disconnect, reasonCode: 0, properties: NO_PROPERTIES });
    this.forget();
  }

  private forget(): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.outbox.length = 0;
    this.gateway.clientGone(this);
    this.upstream?.destroy();
  }

  private freePacketId(): number {
    let id = 0xffff;
    while (this.inflight.has(id)) id--;
    return id;
  }

  /** The once-a-second check: timers of 6.11 (1.5 × Keep Alive), 6.14 (sleep) and 6.13. */
  sweep(now: number): void {
    const quiet = now - this.lastHeard;
    if (this.state === 'will-topic' || this.state === 'will-msg' || this.state === 'connecting') {
      if (quiet > CONNECT_TIMEOUT_MS) this.forget();
      return;
    }
    if (this.duration > 0 && quiet > this.duration * 1500) {
      this.lose();
      return;
    }
    if (this.state === 'asleep') return;
    const retryMs = this.gateway.options.retryInterval * 1000;
    const pending = this.registering;
    if (pending !== undefined && now - pending.sentAt > retryMs) this.retryRegister(pending, now);
    const again = this.unacked.due(now, retryMs);
    if (again === 'lost') this.lose();
    else for (const packet of again) this.send(packet);
  }

  // ---- the way out: in order, held while asleep or while a REGISTER awaits its REGACK ----

  enqueue(item: Outgoing): void {
    if (item.kind === 'publish' && !this.makeRoom(item.qos)) {
      this.gateway.drop('bufferFull');
      return;
    }
    if (item.kind === 'publish') this.queuedPublishes++;
    this.outbox.push(item);
    this.pump();
  }

  /** Within maxSleepBuffer PUBLISHes; QoS 0 ones give way (QoS 1/2 are held by receiveMaximum). */
  private makeRoom(qos: QoS): boolean {
    if (this.queuedPublishes < this.gateway.options.maxSleepBuffer) return true;
    const oldest = this.outbox.findIndex((o) => o.kind === 'publish' && o.qos === 0);
    if (oldest >= 0) {
      this.outbox.splice(oldest, 1);
      this.queuedPublishes--;
      this.gateway.drop('bufferFull');
      return true;
    }
    return qos > 0;
  }

  pump(): void {
    if (this.state !== 'active' && this.state !== 'awake') return;
    while (this.registering === undefined && this.outbox.length > 0) {
      const item = this.outbox[0]!;
      if (item.kind === 'packet') {
        this.send(item.packet);
        if (item.packet.type === M.Pubrel)
          this.unacked.sent(item.packet.msgId, item.packet, this.gateway.now());
      } else {
        const sent = this.trySend(item);
        if (!sent) return;
        this.queuedPublishes--;
      }
      this.outbox.shift();
    }
    if (this.state === 'awake' && this.registering === undefined) {
      this.state = 'asleep';
      this.send({ type: M.Pingresp });
    }
  }

  /** Sends a PUBLISH if the client knows its topic id; otherwise REGISTERs first (6.10). */
  private trySend(item: Extract<Outgoing, { kind: 'publish' }>): boolean {
    const topic = this.topicIdOf(item.topic);
    if (topic === undefined) {
      const topicId = this.registry.register(item.topic);
      if (topicId === undefined) {
        this.gateway.drop('bufferFull');
        this.ackDropped(item);
        return true;
      }
      const msgId = this.takeMsgId();
      this.registering = {
        msgId,
        topicId,
        topic: item.topic,
        sentAt: this.gateway.now(),
        tries: 1,
      };
      this.send({ type: M.Register, topicId, msgId, topicName: item.topic });
      return false;
    }
    const packet: SnPacket = {
      type: M.Publish,
      dup: item.dup,
      qos: item.qos,
      retain: item.retain,
      topicIdType: topic.type,
      topicId: topic.id,
      msgId: item.qos === 0 ? 0 : item.msgId,
      data: item.payload,
    };
    this.send(packet);
    if (item.qos > 0) this.unacked.sent(item.msgId, packet, this.gateway.now());
    return true;
  }

  /** Registered names first, then the configuration's pre-defined ids, then short names. */
  topicIdOf(topic: string): { type: TopicIdType; id: number } | undefined {
    const registered = this.registry.idOf(topic);
    if (registered !== undefined) return { type: TopicIdType.Normal, id: registered };
    const predefined = this.gateway.predefined.idOf(topic);
    if (predefined !== undefined) return { type: TopicIdType.Predefined, id: predefined };
    if (isShortName(topic)) return { type: TopicIdType.Short, id: shortTopicId(topic) };
    return undefined;
  }

  /** REGACK for the gateway's REGISTER (6.10): go on, or drop what needed that topic. */
  registered(msgId: number, topicId: number, returnCode: number): void {
    const pending = this.registering;
    if (pending === undefined || pending.msgId !== msgId) return;
    this.registering = undefined;
    if (returnCode !== SnReturnCode.Accepted || topicId !== pending.topicId) {
      this.registry.forget(pending.topicId);
      this.dropTopic(pending.topic);
    }
    this.pump();
  }

  private retryRegister(pending: PendingRegister, now: number): void {
    if (pending.tries >= SEND_TRIES) {
      this.registering = undefined;
      this.registry.forget(pending.topicId);
      this.dropTopic(pending.topic);
      this.pump();
      return;
    }
    pending.tries++;
    pending.sentAt = now;
    const { topicId, msgId, topic } = pending;
    this.send({ type: M.Register, topicId, msgId, topicName: topic });
  }

  /** The client cannot take messages on `topic`: drop them, acknowledging QoS 1/2 to the broker. */
  private dropTopic(topic: string): void {
    for (let i = this.outbox.length - 1; i >= 0; i--) {
      const item = this.outbox[i]!;
      if (item.kind !== 'publish' || item.topic !== topic) continue;
      this.outbox.splice(i, 1);
      this.queuedPublishes--;
      this.gateway.drop('invalidTopic');
      this.ackDropped(item);
    }
  }

  /** A QoS 1/2 message the client will never get is finished for the broker all the same. */
  private ackDropped(item: Extract<Outgoing, { kind: 'publish' }>): void {
    if (item.qos === 0) return;
    const type = item.qos === 1 ? PacketType.Puback : PacketType.Pubrec;
    this.toBroker({ type, packetId: item.msgId, reasonCode: 0, properties: NO_PROPERTIES });
  }

  private takeMsgId(): number {
    this.nextMsgId = (this.nextMsgId % 0xffff) + 1;
    return this.nextMsgId;
  }
}

/** A short topic name: exactly two characters of one octet each (MQTT-SN 3, 5.3.11). */
export function isShortName(topic: string): boolean {
  return topic.length === 2 && topic.charCodeAt(0) < 0x100 && topic.charCodeAt(1) < 0x100;
}

export const GATEWAY_REFUSALS: Record<number, SnReturnCode> = {
  [ReasonCode.ServerBusy]: SnReturnCode.Congestion,
  [ReasonCode.QuotaExceeded]: SnReturnCode.Congestion,
  [ReasonCode.ConnectionRateExceeded]: SnReturnCode.Congestion,
};
