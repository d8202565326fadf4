// One MQTT-SN client behind the gateway: its state (MQTT-SN 6.14, Figure 4), its topic ids,
// the messages waiting for it, and the MQTT 5.0 connection (Upstream) that is its face in
// the broker. Sessions, retained messages, ACLs, $SYS and the admin API all see that one.
import { PacketType, type QoS, ReasonCode } from '../protocol/constants.js';
import { NO_PROPERTIES, type Packet } from '../protocol/packets.js';
import { SnMsgType as M, type SnPacket, SnReturnCode } from '../mqttsn/index.js';
import type { GatewayContext, SnAddress } from './context.js';
import { fromBroker } from './outbound.js';
import { Outbox, type Outgoing } from './outbox.js';
import { TopicRegistry } from './registry.js';
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
  readonly outbox: Outbox;
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
    this.outbox = new Outbox(this);
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
    this.outbox.resendUnacknowledged();
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
    this.outbox.clear();
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
    if (this.outbox.retry(now) === 'lost') this.lose();
    else this.pump();
  }

  /** A message for the client, sent when it may be (see Outbox). */
  enqueue(item: Outgoing): void {
    this.outbox.enqueue(item);
    this.pump();
  }

  /** Sends what may go; an awake client that got everything goes back to sleep (6.14). */
  pump(): void {
    if (this.state !== 'active' && this.state !== 'awake') return;
    const drained = this.outbox.pump();
    if (this.state === 'awake' && drained) {
      this.state = 'asleep';
      this.send({ type: M.Pingresp });
    }
  }
}

export const GATEWAY_REFUSALS: Record<number, SnReturnCode> = {
  [ReasonCode.ServerBusy]: SnReturnCode.Congestion,
  [ReasonCode.QuotaExceeded]: SnReturnCode.Congestion,
  [ReasonCode.ConnectionRateExceeded]: SnReturnCode.Congestion,
};
