// The way to one client: its messages in order, held while it sleeps (6.14) or while a
// REGISTER of the gateway awaits its REGACK (6.10), and its QoS 1/2 messages until it
// acknowledges them (6.13). Bounded: maxSleepBuffer PUBLISHes, QoS 0 ones giving way first.
import { PacketType, type QoS } from '../protocol/constants.js';
import { NO_PROPERTIES, type Packet } from '../protocol/packets.js';
import {
  SnMsgType as M,
  type SnPacket,
  SnReturnCode,
  shortTopicId,
  TopicIdType,
} from '../mqttsn/index.js';
import type { GatewayContext } from './context.js';
import type { TopicRegistry } from './registry.js';
import { isShortName } from './topics.js';
import { SEND_TRIES, Unacknowledged } from './unacked.js';

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

/** What the outbox needs of its client. */
export interface OutboxOwner {
  readonly gateway: GatewayContext;
  readonly registry: TopicRegistry;
  send(packet: SnPacket): void;
  toBroker(packet: Packet): void;
  /** Sends what may go, if the client's state lets it. */
  pump(): void;
}

export class Outbox {
  /** The gateway's QoS 1/2 messages the client has not acknowledged yet (6.13). */
  readonly unacked = new Unacknowledged();
  private readonly items: Outgoing[] = [];
  private queuedPublishes = 0;
  private registering: PendingRegister | undefined;
  private nextMsgId = 0;
  /** QoS 2 messages dropped for the client: the broker's PUBREL is answered here. */
  private readonly droppedQos2 = new Set<number>();

  constructor(private readonly client: OutboxOwner) {}

  clear(): void {
    this.items.length = 0;
    this.queuedPublishes = 0;
  }

  /** Tretry passed (6.13): REGISTER and unacknowledged messages again; 'lost' after Nretry. */
  retry(now: number): 'lost' | undefined {
    const retryMs = this.client.gateway.options.retryInterval * 1000;
    const pending = this.registering;
    if (pending !== undefined && now - pending.sentAt > retryMs) this.retryRegister(pending, now);
    const again = this.unacked.due(now, retryMs);
    if (again === 'lost') return 'lost';
    for (const packet of again) this.client.send(packet);
    return undefined;
  }

  /** A client that wakes (6.14) gets what it left unacknowledged first. */
  resendUnacknowledged(): void {
    for (const packet of this.unacked.all(this.client.gateway.now())) this.client.send(packet);
  }

  enqueue(item: Outgoing): void {
    if (item.kind === 'publish' && !this.makeRoom(item.qos)) {
      this.client.gateway.drop('bufferFull');
      return;
    }
    if (item.kind === 'publish') this.queuedPublishes++;
    this.items.push(item);
  }

  /** Within maxSleepBuffer PUBLISHes; QoS 0 ones give way (QoS 1/2 are held by receiveMaximum). */
  private makeRoom(qos: QoS): boolean {
    if (this.queuedPublishes < this.client.gateway.options.maxSleepBuffer) return true;
    const oldest = this.items.findIndex((o) => o.kind === 'publish' && o.qos === 0);
    if (oldest >= 0) {
      this.items.splice(oldest, 1);
      this.queuedPublishes--;
      this.client.gateway.drop('bufferFull');
      return true;
    }
    return qos > 0;
  }

  /** Sends in order what may go now; true when nothing is left or held. */
  pump(): boolean {
    while (this.registering === undefined && this.items.length > 0) {
      const item = this.items[0]!;
      if (item.kind === 'packet') {
        this.client.send(item.packet);
        if (item.packet.type === M.Pubrel)
          this.unacked.sent(item.packet.msgId, item.packet, this.client.gateway.now());
      } else {
        const sent = this.trySend(item);
        if (!sent) return false;
        this.queuedPublishes--;
      }
      this.items.shift();
    }
    return this.registering === undefined;
  }

  /** Sends a PUBLISH if the client knows its topic id; otherwise REGISTERs first (6.10). */
  private trySend(item: Extract<Outgoing, { kind: 'publish' }>): boolean {
    const topic = this.topicIdOf(item.topic);
    if (topic === undefined) {
      const topicId = this.client.registry.register(item.topic);
      if (topicId === undefined) {
        this.client.gateway.drop('bufferFull');
        this.ackDropped(item);
        return true;
      }
      const msgId = this.takeMsgId();
      this.registering = {
        msgId,
        topicId,
        topic: item.topic,
        sentAt: this.client.gateway.now(),
        tries: 1,
      };
      this.client.send({ type: M.Register, topicId, msgId, topicName: item.topic });
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
    this.client.send(packet);
    if (item.qos > 0) this.unacked.sent(item.msgId, packet, this.client.gateway.now());
    return true;
  }

  /** Registered names first, then the configuration's pre-defined ids, then short names. */
  topicIdOf(topic: string): { type: TopicIdType; id: number } | undefined {
    const registered = this.client.registry.idOf(topic);
    if (registered !== undefined) return { type: TopicIdType.Normal, id: registered };
    const predefined = this.client.gateway.predefined.idOf(topic);
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
      this.client.registry.forget(pending.topicId);
      this.dropTopic(pending.topic);
    }
    this.client.pump();
  }

  private retryRegister(pending: PendingRegister, now: number): void {
    if (pending.tries >= SEND_TRIES) {
      this.registering = undefined;
      this.client.registry.forget(pending.topicId);
      this.dropTopic(pending.topic);
      return;
    }
    pending.tries++;
    pending.sentAt = now;
    const { topicId, msgId, topic } = pending;
    this.client.send({ type: M.Register, topicId, msgId, topicName: topic });
  }

  /** The client cannot take messages on `topic`: drop them, acknowledging QoS 1/2 to the broker. */
  private dropTopic(topic: string): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i]!;
      if (item.kind !== 'publish' || item.topic !== topic) continue;
      this.items.splice(i, 1);
      this.queuedPublishes--;
      this.client.gateway.drop('invalidTopic');
      this.ackDropped(item);
    }
  }

  /** A QoS 1/2 message the client will never get is finished for the broker all the same. */
  private ackDropped(item: Extract<Outgoing, { kind: 'publish' }>): void {
    if (item.qos === 0) return;
    const type = item.qos === 1 ? PacketType.Puback : PacketType.Pubrec;
    if (item.qos === 2) this.droppedQos2.add(item.msgId);
    this.client.toBroker({ type, packetId: item.msgId, reasonCode: 0, properties: NO_PROPERTIES });
  }

  /** The broker's PUBREL for a QoS 2 message the client never got: PUBCOMP from here. */
  completeDropped(msgId: number): boolean {
    if (!this.droppedQos2.delete(msgId)) return false;
    const pubcomp = { type: PacketType.Pubcomp, packetId: msgId, reasonCode: 0 } as const;
    this.client.toBroker({ ...pubcomp, properties: NO_PROPERTIES });
    return true;
  }

  private takeMsgId(): number {
    this.nextMsgId = (this.nextMsgId % 0xffff) + 1;
    return this.nextMsgId;
  }
}
