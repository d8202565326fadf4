// culex/mqttsn: a small MQTT-SN v1.2 client over UDP (Node only), for devices' simulators,
// tests and `culex sn pub|sub`.
//
//   const sn = await MqttSnClient.connect({ host: '127.0.0.1', port: 1884, clientId: 'd1' });
//   await sn.subscribe('sensors/#', 1);
//   sn.on('message', (m) => console.log(m.topic, m.payload.toString()));
//   await sn.publish('sensors/a', '21.5', { qos: 1 });
import { createSocket, type Socket } from 'node:dgram';
import {
  decodeSn,
  encodeSn,
  SnMsgType as M,
  type SnPacket,
  type SnQoS,
  SnReturnCode,
  shortTopicId,
  shortTopicName,
  TopicIdType,
} from '../mqttsn/index.js';
import { Emitter } from './emitter.js';
import { SnClientError, SnRequests } from './mqttsn-requests.js';

export { SnClientError };

export interface SnClientOptions {
  host: string;
  port: number;
  clientId: string;
  /** Keep Alive, seconds (CONNECT Duration); PINGREQ goes out at this interval. 0: none. */
  keepAlive?: number;
  cleanSession?: boolean;
  will?: { topic: string; payload: string | Uint8Array; qos?: 0 | 1 | 2; retain?: boolean };
  /** Pre-defined topic ids the gateway was configured with: id → topic name. */
  predefinedTopics?: Record<number, string>;
  /** Tretry (MQTT-SN 6.13): ms before a request is sent again. */
  retryMs?: number;
  /** Nretry: sends of one request before it fails. */
  retries?: number;
}

export interface SnMessage {
  topic: string;
  payload: Buffer;
  qos: SnQoS;
  retain: boolean;
}

type Events = { message: SnMessage; error: Error; disconnect: undefined };

const RETURN_TEXT = [
  'accepted',
  'rejected: congestion',
  'rejected: invalid topic id',
  'rejected: not supported',
];

export class MqttSnClient extends Emitter<Events> {
  private readonly socket: Socket;
  private readonly requests: SnRequests;
  /** Topic ids both ways: what this client and the gateway registered. */
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private nextMsgId = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(readonly options: SnClientOptions) {
    super();
    this.socket = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (datagram) => this.onDatagram(datagram));
    this.socket.on('error', (error) => this.emit('error', error));
    this.requests = new SnRequests(
      (packet) => this.send(packet),
      options.retryMs ?? 2000,
      options.retries ?? 3,
    );
  }

  /** Connects (with the will prompts when a will is given) and resolves on CONNACK accepted. */
  static async connect(options: SnClientOptions): Promise<MqttSnClient> {
    const client = new MqttSnClient(options);
    try {
      await client.open();
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private async open(): Promise<void> {
    const o = this.options;
    const will = o.will;
    const connect: SnPacket = {
      type: M.Connect,
      will: will !== undefined,
      cleanSession: o.cleanSession ?? true,
      protocolId: 1,
      duration: o.keepAlive ?? 60,
      clientId: o.clientId,
    };
    if (will === undefined) {
      this.check(await this.request(connect, 'connack'), 'CONNECT');
    } else {
      await this.request(connect, 'willtopicreq');
      const willTopic = {
        type: M.WillTopic,
        qos: will.qos ?? 0,
        retain: will.retain ?? false,
        willTopic: will.topic,
      } as const;
      await this.request(willTopic, 'willmsgreq');
      const willMessage = Buffer.from(will.payload);
      this.check(await this.request({ type: M.WillMsg, willMessage }, 'connack'), 'CONNECT');
    }
    this.startPings(o.keepAlive ?? 60);
  }

  private startPings(seconds: number): void {
    clearInterval(this.pingTimer);
    if (seconds === 0) return;
    this.pingTimer = setInterval(() => this.send({ type: M.Pingreq }), seconds * 1000);
    this.pingTimer.unref();
  }

  /** REGISTER (6.5): the topic id the gateway gives `topic`. */
  async register(topic: string): Promise<number> {
    const known = this.ids.get(topic);
    if (known !== undefined) return known;
    const msgId = this.takeMsgId();
    const regack = await this.request(
      { type: M.Register, topicId: 0, msgId, topicName: topic },
      `regack:${msgId}`,
    );
    const { topicId } = this.check(regack, `REGISTER ${topic}`) as { topicId: number };
    this.remember(topic, topicId);
    return topicId;
  }

  /**
   * PUBLISH (6.7): a two-character topic goes as a short name, a pre-defined one by its id,
   * any other after REGISTER. QoS 1 and 2 resolve once acknowledged; QoS −1 needs no connection.
   */
  async publish(
    topic: string,
    payload: string | Uint8Array,
    options: { qos?: SnQoS; retain?: boolean } = {},
  ): Promise<void> {
    const qos = options.qos ?? 0;
    const { topicIdType, topicId } = await this.topicRef(topic, qos === -1);
    const msgId = qos > 0 ? this.takeMsgId() : 0;
    const data = Buffer.from(payload);
    const packet = {
      type: M.Publish,
      dup: false,
      qos,
      retain: options.retain ?? false,
      topicIdType,
      topicId,
      msgId,
      data,
    } as const;
    if (qos <= 0) return this.send(packet);
    if (qos === 1) {
      this.check(await this.request(packet, `puback:${msgId}`), `PUBLISH ${topic}`);
      return;
    }
    const pubrec = await this.request(packet, `pubrec:${msgId}`, `puback:${msgId}`);
    if (pubrec.type === M.Puback) this.check(pubrec, `PUBLISH ${topic}`);
    await this.request({ type: M.Pubrel, msgId }, `pubcomp:${msgId}`);
  }

  private async topicRef(
    topic: string,
    noRegister: boolean,
  ): Promise<{ topicIdType: TopicIdType; topicId: number }> {
    const predefined = this.predefinedId(topic);
    if (predefined !== undefined)
      return { topicIdType: TopicIdType.Predefined, topicId: predefined };
    if (topic.length === 2) return { topicIdType: TopicIdType.Short, topicId: shortTopicId(topic) };
    if (noRegister)
      throw new SnClientError(`QoS -1 needs a pre-defined or two-character topic, not ${topic}`);
    return { topicIdType: TopicIdType.Normal, topicId: await this.register(topic) };
  }

  private predefinedId(topic: string): number | undefined {
    for (const [id, name] of Object.entries(this.options.predefinedTopics ?? {}))
      if (name === topic) return Number(id);
    return undefined;
  }

  /** How SUBSCRIBE and UNSUBSCRIBE name `filter`: pre-defined id, short name, or the name. */
  private filterRef(filter: string): { topicIdType: TopicIdType; topic: string | number } {
    const predefined = this.predefinedId(filter);
    if (predefined !== undefined) return { topicIdType: TopicIdType.Predefined, topic: predefined };
    const topicIdType = filter.length === 2 ? TopicIdType.Short : TopicIdType.Normal;
    return { topicIdType, topic: filter };
  }

  /** SUBSCRIBE (6.9) to a filter (wildcards allowed), a short name or a pre-defined topic. */
  async subscribe(filter: string, qos: 0 | 1 | 2 = 0): Promise<{ qos: number; topicId: number }> {
    const msgId = this.takeMsgId();
    const ref = this.filterRef(filter);
    const suback = await this.request(
      { type: M.Subscribe, dup: false, qos, msgId, ...ref },
      `suback:${msgId}`,
    );
    const { topicId, qos: granted } = this.check(suback, `SUBSCRIBE ${filter}`) as {
      topicId: number;
      qos: number;
    };
    if (ref.topicIdType === TopicIdType.Normal && topicId !== 0) this.remember(filter, topicId);
    return { qos: granted, topicId };
  }

  async unsubscribe(filter: string): Promise<void> {
    const msgId = this.takeMsgId();
    const ref = this.filterRef(filter);
    await this.request(
      { type: M.Unsubscribe, dup: false, qos: 0, msgId, ...ref },
      `unsuback:${msgId}`,
    );
  }

  async ping(): Promise<void> {
    await this.request({ type: M.Pingreq }, 'pingresp');
  }

  /** DISCONNECT with a Duration (6.14): asleep until `wake()`; no PINGREQs meanwhile. */
  async sleep(seconds: number): Promise<void> {
    clearInterval(this.pingTimer);
    await this.request({ type: M.Disconnect, duration: seconds }, 'disconnect');
  }

  /** PINGREQ with the client id (6.14): messages held while asleep arrive, then PINGRESP. */
  async wake(): Promise<void> {
    await this.request({ type: M.Pingreq, clientId: this.options.clientId }, 'pingresp');
  }

  /** WILLTOPICUPD and WILLMSGUPD (6.4). */
  async updateWill(
    topic: string,
    payload: string | Uint8Array,
    qos: 0 | 1 | 2 = 0,
    retain = false,
  ): Promise<void> {
    this.check(
      await this.request({ type: M.WillTopicUpd, qos, retain, willTopic: topic }, 'willtopicresp'),
      'WILLTOPICUPD',
    );
    this.check(
      await this.request({ type: M.WillMsgUpd, willMessage: Buffer.from(payload) }, 'willmsgresp'),
      'WILLMSGUPD',
    );
  }

  async disconnect(): Promise<void> {
    clearInterval(this.pingTimer);
    try {
      await this.request({ type: M.Disconnect }, 'disconnect');
    } finally {
      this.close();
    }
  }

  /** Closes the socket without a word to the gateway (as a device that lost power). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    this.requests.rejectAll(new SnClientError('client closed'));
    this.socket.close();
  }

  send(packet: SnPacket): void {
    if (!this.closed) this.socket.send(encodeSn(packet), this.options.port, this.options.host);
  }

  private request(packet: SnPacket, ...keys: string[]): Promise<SnPacket> {
    return this.requests.request(packet, keys);
  }

  /** An answer's ReturnCode: accepted, or the request fails with the spec's words (5.3.10). */
  private check(packet: SnPacket, what: string): SnPacket {
    const code = 'returnCode' in packet ? packet.returnCode : SnReturnCode.Accepted;
    if (code !== SnReturnCode.Accepted)
      throw new SnClientError(`${what}: ${RETURN_TEXT[code] ?? code}`, code);
    return packet;
  }

  private onDatagram(datagram: Buffer): void {
    let packet: SnPacket;
    try {
      packet = decodeSn(datagram);
    } catch {
      return; // not MQTT-SN: ignored, as the gateway ignores such datagrams
    }
    if (this.requests.answer(packet)) return;
    if (packet.type === M.Publish) this.onPublish(packet);
    else if (packet.type === M.Register) this.onRegister(packet);
    else if (packet.type === M.Pubrel) this.send({ type: M.Pubcomp, msgId: packet.msgId });
    else if (packet.type === M.Disconnect) this.emit('disconnect', undefined);
  }

  /** REGISTER from the gateway (6.10): the topic id of the messages that follow. */
  private onRegister(p: Extract<SnPacket, { type: typeof M.Register }>): void {
    this.remember(p.topicName, p.topicId);
    this.send({
      type: M.Regack,
      topicId: p.topicId,
      msgId: p.msgId,
      returnCode: SnReturnCode.Accepted,
    });
  }

  private onPublish(p: Extract<SnPacket, { type: typeof M.Publish }>): void {
    const topic =
      p.topicIdType === TopicIdType.Short
        ? shortTopicName(p.topicId)
        : p.topicIdType === TopicIdType.Predefined
          ? this.options.predefinedTopics?.[p.topicId]
          : this.names.get(p.topicId);
    if (topic === undefined) {
      // 6.10: an unknown topic id is refused; the gateway registers it again.
      if (p.qos > 0)
        this.send({
          type: M.Puback,
          topicId: p.topicId,
          msgId: p.msgId,
          returnCode: SnReturnCode.InvalidTopicId,
        });
      return;
    }
    if (p.qos === 1)
      this.send({
        type: M.Puback,
        topicId: p.topicId,
        msgId: p.msgId,
        returnCode: SnReturnCode.Accepted,
      });
    if (p.qos === 2) this.send({ type: M.Pubrec, msgId: p.msgId });
    this.emit('message', { topic, payload: p.data, qos: p.qos, retain: p.retain });
  }

  private remember(topic: string, topicId: number): void {
    this.ids.set(topic, topicId);
    this.names.set(topicId, topic);
  }

  private takeMsgId(): number {
    this.nextMsgId = (this.nextMsgId % 0xffff) + 1;
    return this.nextMsgId;
  }
}

/** PUBLISH with QoS −1 (6.8): one datagram, no connection, pre-defined id or short name. */
export function publishQosMinusOne(
  host: string,
  port: number,
  topic: { predefined: number } | { short: string },
  payload: string | Uint8Array,
  retain = false,
): Promise<void> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const ref =
    'predefined' in topic
      ? { topicIdType: TopicIdType.Predefined, topicId: topic.predefined }
      : { topicIdType: TopicIdType.Short, topicId: shortTopicId(topic.short) };
  const datagram = encodeSn({
    type: M.Publish,
    dup: false,
    qos: -1,
    retain,
    ...ref,
    msgId: 0,
    data: Buffer.from(payload),
  });
  return new Promise((resolve, reject) =>
    socket.send(datagram, port, host, (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    }),
  );
}
