// Outbound state: packet identifiers, the QoS 1/2 flows and SUBSCRIBE/UNSUBSCRIBE awaiting
// their acknowledgement, the send quota (the server's Receive Maximum), and the bounded
// queue of PUBLISHes that wait for a connection or for quota.
import { PacketType, ReasonCode } from '../protocol/constants.js';
import {
  NO_PROPERTIES,
  type Packet,
  type Properties,
  type PublishPacket,
  type PubResponsePacket,
  type SubackPacket,
  type SubscribePacket,
  type UnsubackPacket,
  type UnsubscribePacket,
} from '../protocol/packets.js';
import { MqttClientError, PublishError, queueFull } from './errors.js';
import { Fifo } from './fifo.js';

/** What the broker answered to a QoS 1 or 2 PUBLISH (PUBACK, or PUBCOMP for QoS 2). */
export interface PublishResult {
  reasonCode: number;
  properties: Properties;
}

export interface PacketSink {
  /** Encodes and queues one packet; throws an MqttClientError when it may not be sent. */
  send(packet: Packet): void;
}

type Settle<T> = { resolve(value: T): void; reject(error: Error): void };

/** What a successful acknowledgement without properties resolves with: one shared object. */
const SUCCESS: PublishResult = Object.freeze({
  reasonCode: ReasonCode.Success,
  properties: NO_PROPERTIES,
});
const noop = () => {};

/**
 * A publish() promise is rejected through here: the no-op handler attached first means a
 * caller who ignores the promise causes no unhandled rejection, and a successful flow never
 * pays for a second promise.
 */
function fail(settle: Settle<never> & { promise: Promise<unknown> }, error: Error): void {
  settle.promise.catch(noop);
  settle.reject(error);
}

interface PublishFlow extends Settle<PublishResult | undefined> {
  kind: 'publish';
  promise: Promise<PublishResult | undefined>;
  packet: PublishPacket;
  /** 'pubrel' once PUBREC arrived for QoS 2. */
  state: 'publish' | 'pubrel';
  /** The connection it was last sent on; -1 before it was ever sent. */
  epoch: number;
}

interface SubscribeFlow extends Settle<SubackPacket> {
  kind: 'subscribe';
  packet: SubscribePacket;
  epoch: number;
}

interface UnsubscribeFlow extends Settle<UnsubackPacket> {
  kind: 'unsubscribe';
  packet: UnsubscribePacket;
  epoch: number;
}

type Flow = PublishFlow | SubscribeFlow | UnsubscribeFlow;

interface QueuedPublish extends Settle<PublishResult | undefined> {
  packet: PublishPacket;
  promise: Promise<PublishResult | undefined>;
}

const MAX_PACKET_ID = 65_535;
type Ack = PubResponsePacket<
  typeof PacketType.Puback | typeof PacketType.Pubrec | typeof PacketType.Pubcomp
>;

export class Outbound {
  readonly #inflight = new Map<number, Flow>();
  readonly #queue = new Fifo<QueuedPublish>();
  #nextId = 1;
  #inflightPublishes = 0;
  #sink: PacketSink | undefined;
  #epoch = 0;
  #idleWaiters: (() => void)[] = [];
  /** The server's Receive Maximum: QoS 1/2 PUBLISHes unacknowledged at once. */
  receiveMaximum = MAX_PACKET_ID;

  constructor(
    private readonly maxQueued: number,
    private readonly queueQoS0: boolean,
  ) {}

  get queued(): number {
    return this.#queue.length;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Sends the PUBLISH now when it may be, else queues it. Returns undefined when a QoS 0
   * message went straight to the sink (the caller decides what to resolve with), else a
   * promise settled by the acknowledgement, or by the queue. Its rejection never counts as
   * unhandled.
   */
  publish(packet: PublishPacket): Promise<PublishResult | undefined> | undefined {
    if (this.#sink && this.#queue.length === 0) {
      if (packet.qos === 0) {
        this.#sink.send(packet);
        return undefined;
      }
      // [MQTT-3.3.4-7] never more unacknowledged QoS>0 PUBLISHes than the Receive Maximum.
      if (this.#inflightPublishes < this.receiveMaximum) return this.#startPublish(packet);
    }
    if (packet.qos === 0 && !this.#sink && !this.queueQoS0) return Promise.resolve(undefined);
    if (this.#queue.length >= this.maxQueued) {
      const refused = Promise.reject(queueFull(this.maxQueued));
      refused.catch(noop);
      return refused;
    }
    let queued!: QueuedPublish;
    const promise = new Promise<PublishResult | undefined>((resolve, reject) => {
      queued = { packet, resolve, reject, promise: undefined! };
    });
    queued.promise = promise;
    this.#queue.push(queued);
    return promise;
  }

  subscribe(packet: Omit<SubscribePacket, 'packetId'>): Promise<SubackPacket> {
    return new Promise((resolve, reject) => {
      const flow: SubscribeFlow = {
        kind: 'subscribe',
        packet: { ...packet, packetId: 0 },
        epoch: -1,
        resolve,
        reject,
      };
      this.#startFlow(flow);
    });
  }

  unsubscribe(packet: Omit<UnsubscribePacket, 'packetId'>): Promise<UnsubackPacket> {
    return new Promise((resolve, reject) => {
      const flow: UnsubscribeFlow = {
        kind: 'unsubscribe',
        packet: { ...packet, packetId: 0 },
        epoch: -1,
        resolve,
        reject,
      };
      this.#startFlow(flow);
    });
  }

  #startPublish(packet: PublishPacket): Promise<PublishResult | undefined> {
    let flow!: PublishFlow;
    const promise = new Promise<PublishResult | undefined>((resolve, reject) => {
      flow = {
        kind: 'publish',
        promise: undefined!,
        packet,
        state: 'publish',
        epoch: -1,
        resolve,
        reject,
      };
    });
    flow.promise = promise;
    this.#startFlow(flow);
    return promise;
  }

  /** [MQTT-2.2.1-3] each new flow gets a packet identifier not in use. */
  #startFlow(flow: Flow): void {
    const packetId = this.#allocateId();
    // The packet was built by the client for this call, so it is ours to stamp.
    (flow.packet as { packetId?: number }).packetId = packetId;
    this.#inflight.set(packetId, flow);
    if (flow.kind === 'publish') this.#inflightPublishes++;
    if (this.#sink) this.#send(flow);
  }

  #allocateId(): number {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = this.#nextId;
      this.#nextId = id === MAX_PACKET_ID ? 1 : id + 1;
      if (!this.#inflight.has(id)) return id;
    }
    throw new MqttClientError('QUEUE_FULL', 'All 65535 packet identifiers are in use');
  }

  /** Sends (or re-sends) a flow's current packet; a refused packet fails the flow. */
  #send(flow: Flow): void {
    const resend = flow.epoch >= 0;
    flow.epoch = this.#epoch;
    try {
      if (flow.kind !== 'publish') this.#sink!.send(flow.packet);
      else if (flow.state === 'pubrel') this.#sink!.send(pubrel(flow.packet.packetId!));
      // [MQTT-3.3.1-1] a re-delivered PUBLISH has DUP set.
      else this.#sink!.send(resend ? { ...flow.packet, dup: true } : flow.packet);
    } catch (error) {
      this.#finish(flow.packet.packetId!, flow);
      if (flow.kind === 'publish') fail(flow, error as Error);
      else flow.reject(error as Error);
    }
  }

  #finish(packetId: number, flow: Flow): void {
    this.#inflight.delete(packetId);
    if (flow.kind === 'publish') this.#inflightPublishes--;
    if (this.#idleWaiters.length > 0 && this.#inflight.size === 0 && this.#queue.length === 0) {
      this.#wakeIdle();
    }
  }

  /** Resolves when nothing is in flight or queued, or after `timeoutMs` regardless. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.#inflight.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Handles PUBACK, PUBREC and PUBCOMP; unknown packet identifiers are ignored. */
  onPublishAck(ack: Ack): void {
    const flow = this.#inflight.get(ack.packetId);
    if (flow?.kind !== 'publish') return;
    const failed = ack.reasonCode >= ReasonCode.UnspecifiedError;
    if (ack.type === PacketType.Pubrec && !failed) {
      flow.state = 'pubrel';
      this.#send(flow); // [MQTT-4.6.0-4] PUBRELs go out in the order the PUBRECs arrived.
      return;
    }
    this.#finish(ack.packetId, flow);
    if (failed && ack.type !== PacketType.Pubcomp) {
      const reason = ack.properties.reasonString;
      fail(flow, new PublishError(flow.packet.topic, ack.reasonCode, reason));
    } else if (ack.reasonCode === ReasonCode.Success && ack.properties === NO_PROPERTIES) {
      flow.resolve(SUCCESS);
    } else {
      flow.resolve({ reasonCode: ack.reasonCode, properties: ack.properties });
    }
    if (this.#queue.length > 0) this.#drain();
  }

  onSubscribeAck(ack: SubackPacket | UnsubackPacket): void {
    const flow = this.#inflight.get(ack.packetId);
    if (!flow || flow.kind === 'publish') return;
    if ((flow.kind === 'subscribe') !== (ack.type === PacketType.Suback)) return;
    this.#finish(ack.packetId, flow);
    (flow.resolve as (value: SubackPacket | UnsubackPacket) => void)(ack);
  }

  /** A connection is ready: later flows are sent at once. Call resume() after resubscribing. */
  attach(sink: PacketSink): void {
    this.#sink = sink;
    this.#epoch++;
  }

  /** [MQTT-4.6.0-1] re-sends unacknowledged flows in their original order, then the queue. */
  resume(): void {
    for (const flow of [...this.#inflight.values()]) {
      if (flow.epoch !== this.#epoch) this.#send(flow);
    }
    this.#drain();
  }

  detach(): void {
    this.#sink = undefined;
  }

  #drain(): void {
    while (this.#sink && this.#queue.length > 0) {
      const next = this.#queue.peek()!;
      if (next.packet.qos > 0 && this.#inflightPublishes >= this.receiveMaximum) return;
      this.#queue.shift();
      if (next.packet.qos === 0) {
        try {
          this.#sink.send(next.packet);
          next.resolve(undefined);
        } catch (error) {
          fail(next, error as Error);
        }
      } else {
        this.#startPublish(next.packet).then(next.resolve, (error) => fail(next, error));
      }
    }
  }

  /** Fails every flow and queued message, e.g. when the client ends. */
  failAll(error: Error): void {
    const flows = [...this.#inflight.values()];
    this.#inflight.clear();
    this.#inflightPublishes = 0;
    for (const flow of flows) {
      if (flow.kind === 'publish') fail(flow, error);
      else flow.reject(error);
    }
    for (const queued of this.#queue.drain()) fail(queued, error);
    this.#wakeIdle();
  }
}

const pubrel = (packetId: number): Packet => ({
  type: PacketType.Pubrel,
  packetId,
  reasonCode: ReasonCode.Success,
  properties: NO_PROPERTIES,
});
