// The MQTT-SN codec: one datagram ⇄ one typed packet. Each message type has its decoder and
// its encoder side by side, from the formats of MQTT-SN v1.2 section 5.4. No I/O.
import { Flag, MAX_SN_PACKET, type SnQoS, SnMsgType, type TopicIdType } from './constants.js';
import type { SnPacket, SnPacketOf } from './packets.js';

/** A datagram that is not an MQTT-SN v1.2 message; the gateway drops and counts it. */
export class SnDecodeError extends Error {
  constructor(
    message: string,
    /** The counter the drop goes to. */
    readonly kind: 'malformed' | 'unknownType' = 'malformed',
  ) {
    super(message);
    this.name = 'SnDecodeError';
  }
}

/** Reads the body of one message; every read is bounds-checked. */
class Body {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  need(n: number, what: string): void {
    if (this.left < n) throw new SnDecodeError(`${what}: message too short`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  /** The rest of the message: a view, not a copy. */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }
  text(): string {
    return this.rest().toString('utf8');
  }
  end(what: string): void {
    if (this.left !== 0) throw new SnDecodeError(`${what}: ${this.left} octets too many`);
  }
}

interface Flags {
  dup: boolean;
  qos: SnQoS;
  retain: boolean;
  will: boolean;
  cleanSession: boolean;
  topicIdType: TopicIdType;
}

/** 5.3.4; TopicIdType 0b11 is reserved. */
function readFlags(body: Body, what: string): Flags {
  const f = body.u8(what);
  const qosBits = (f & Flag.QosMask) >> Flag.QosShift;
  const topicIdType = f & Flag.TopicIdTypeMask;
  if (topicIdType === 0b11) throw new SnDecodeError(`${what}: reserved TopicIdType 0b11`);
  return {
    dup: (f & Flag.Dup) !== 0,
    qos: (qosBits === 3 ? -1 : qosBits) as SnQoS,
    retain: (f & Flag.Retain) !== 0,
    will: (f & Flag.Will) !== 0,
    cleanSession: (f & Flag.CleanSession) !== 0,
    topicIdType: topicIdType as TopicIdType,
  };
}

function flagsByte(f: Partial<Flags>): number {
  const qos = f.qos === undefined ? 0 : f.qos === -1 ? 3 : f.qos;
  return (
    (f.dup ? Flag.Dup : 0) |
    (qos << Flag.QosShift) |
    (f.retain ? Flag.Retain : 0) |
    (f.will ? Flag.Will : 0) |
    (f.cleanSession ? Flag.CleanSession : 0) |
    (f.topicIdType ?? 0)
  );
}

/** Will topics have QoS 0..2 only. */
function willQos(qos: SnQoS, what: string): 0 | 1 | 2 {
  if (qos === -1) throw new SnDecodeError(`${what}: QoS -1 is not a will QoS`);
  return qos;
}

type Decoder = (body: Body) => SnPacket;
const M = SnMsgType;

const decoders: Partial<Record<number, Decoder>> = {
  [M.Advertise]: (b) => ({
    type: M.Advertise,
    gatewayId: b.u8('ADVERTISE'),
    duration: b.u16('ADVERTISE'),
  }),
  [M.SearchGw]: (b) => ({ type: M.SearchGw, radius: b.u8('SEARCHGW') }),
  [M.GwInfo]: (b) => {
    const gatewayId = b.u8('GWINFO');
    return b.left > 0
      ? { type: M.GwInfo, gatewayId, gatewayAddress: b.rest() }
      : { type: M.GwInfo, gatewayId };
  },
  [M.Connect]: (b) => {
    const f = readFlags(b, 'CONNECT');
    const protocolId = b.u8('CONNECT');
    const duration = b.u16('CONNECT');
    return {
      type: M.Connect,
      will: f.will,
      cleanSession: f.cleanSession,
      protocolId,
      duration,
      clientId: b.text(),
    };
  },
  [M.Connack]: (b) => ({ type: M.Connack, returnCode: returnCode(b, 'CONNACK') }),
  [M.WillTopicReq]: () => ({ type: M.WillTopicReq }),
  [M.WillTopic]: (b) => decodeWillTopic(b, M.WillTopic, 'WILLTOPIC'),
  [M.WillMsgReq]: () => ({ type: M.WillMsgReq }),
  [M.WillMsg]: (b) => ({ type: M.WillMsg, willMessage: b.rest() }),
  [M.Register]: (b) => ({
    type: M.Register,
    topicId: b.u16('REGISTER'),
    msgId: b.u16('REGISTER'),
    topicName: b.text(),
  }),
  [M.Regack]: (b) => decodeTopicAck(b, M.Regack, 'REGACK'),
  [M.Publish]: (b) => {
    const f = readFlags(b, 'PUBLISH');
    return {
      type: M.Publish,
      dup: f.dup,
      qos: f.qos,
      retain: f.retain,
      topicIdType: f.topicIdType,
      topicId: b.u16('PUBLISH'),
      msgId: b.u16('PUBLISH'),
      data: b.rest(),
    };
  },
  [M.Puback]: (b) => decodeTopicAck(b, M.Puback, 'PUBACK'),
  [M.Pubrec]: (b) => ({ type: M.Pubrec, msgId: b.u16('PUBREC') }),
  [M.Pubrel]: (b) => ({ type: M.Pubrel, msgId: b.u16('PUBREL') }),
  [M.Pubcomp]: (b) => ({ type: M.Pubcomp, msgId: b.u16('PUBCOMP') }),
  [M.Subscribe]: (b) => decodeSubscribe(b, M.Subscribe, 'SUBSCRIBE'),
  [M.Suback]: (b) => {
    const f = readFlags(b, 'SUBACK');
    return {
      type: M.Suback,
      qos: f.qos,
      topicId: b.u16('SUBACK'),
      msgId: b.u16('SUBACK'),
      returnCode: returnCode(b, 'SUBACK'),
    };
  },
  [M.Unsubscribe]: (b) => decodeSubscribe(b, M.Unsubscribe, 'UNSUBSCRIBE'),
  [M.Unsuback]: (b) => ({ type: M.Unsuback, msgId: b.u16('UNSUBACK') }),
  [M.Pingreq]: (b) => (b.left > 0 ? { type: M.Pingreq, clientId: b.text() } : { type: M.Pingreq }),
  [M.Pingresp]: () => ({ type: M.Pingresp }),
  [M.Disconnect]: (b) =>
    b.left > 0 ? { type: M.Disconnect, duration: b.u16('DISCONNECT') } : { type: M.Disconnect },
  [M.WillTopicUpd]: (b) => decodeWillTopic(b, M.WillTopicUpd, 'WILLTOPICUPD'),
  [M.WillTopicResp]: (b) => ({ type: M.WillTopicResp, returnCode: returnCode(b, 'WILLTOPICRESP') }),
  [M.WillMsgUpd]: (b) => ({ type: M.WillMsgUpd, willMessage: b.rest() }),
  [M.WillMsgResp]: (b) => ({ type: M.WillMsgResp, returnCode: returnCode(b, 'WILLMSGRESP') }),
};

function returnCode(b: Body, what: string) {
  const code = b.u8(what);
  if (code > 3) throw new SnDecodeError(`${what}: unknown ReturnCode ${code}`);
  return code as 0 | 1 | 2 | 3;
}

/** 5.4.7 / 5.4.22: a message of the header alone is the "empty" one that deletes the will. */
function decodeWillTopic<K extends typeof M.WillTopic | typeof M.WillTopicUpd>(
  b: Body,
  type: K,
  what: string,
) {
  if (b.left === 0) return { type, qos: 0, retain: false, willTopic: '' } as SnPacketOf<K>;
  const f = readFlags(b, what);
  const willTopic = b.text();
  return { type, qos: willQos(f.qos, what), retain: f.retain, willTopic } as SnPacketOf<K>;
}

function decodeTopicAck<K extends typeof M.Regack | typeof M.Puback>(
  b: Body,
  type: K,
  what: string,
) {
  const topicId = b.u16(what);
  const msgId = b.u16(what);
  return { type, topicId, msgId, returnCode: returnCode(b, what) } as SnPacketOf<K>;
}

/** 5.4.15 / 5.4.17: a TopicName (normal, short) or a pre-defined TopicId. */
function decodeSubscribe<K extends typeof M.Subscribe | typeof M.Unsubscribe>(
  b: Body,
  type: K,
  what: string,
) {
  const f = readFlags(b, what);
  const msgId = b.u16(what);
  let topic: string | number;
  if (f.topicIdType === 0b01) {
    topic = b.u16(what);
    b.end(what);
  } else {
    b.need(1, what);
    topic = b.rest().toString(f.topicIdType === 0b10 ? 'latin1' : 'utf8');
  }
  return {
    type,
    dup: f.dup,
    qos: f.qos,
    topicIdType: f.topicIdType,
    msgId,
    topic,
  } as SnPacketOf<K>;
}

/** Decodes one datagram; throws SnDecodeError when it is not one well-formed message (5.2). */
export function decodeSn(datagram: Buffer): SnPacket {
  if (datagram.length < 2) throw new SnDecodeError('datagram shorter than a header');
  let length: number;
  let start: number;
  // 5.2.1: 0x01 announces a 3-octet Length field; otherwise the first octet is the Length.
  if (datagram[0] === 0x01) {
    if (datagram.length < 4) throw new SnDecodeError('datagram shorter than a long header');
    length = datagram.readUInt16BE(1);
    start = 4;
  } else {
    length = datagram[0]!;
    start = 2;
  }
  if (length !== datagram.length)
    throw new SnDecodeError(`Length field ${length} but datagram of ${datagram.length} octets`);
  const msgType = datagram[start - 1]!;
  const decoder = decoders[msgType];
  if (decoder === undefined)
    throw new SnDecodeError(`unknown MsgType 0x${msgType.toString(16)}`, 'unknownType');
  const body = new Body(datagram, start);
  const packet = decoder(body);
  body.end(packetName(msgType));
  return packet;
}

const NAMES = Object.fromEntries(Object.entries(SnMsgType).map(([k, v]) => [v, k.toUpperCase()]));
export const packetName = (msgType: number): string =>
  NAMES[msgType] ?? `0x${msgType.toString(16)}`;

// ---- encoding ----

/** A message of `bodyLength` octets after its header; returns it and where the body starts. */
function frame(type: number, bodyLength: number): [Buffer, number] {
  const short = bodyLength + 2 <= 0xff;
  const total = bodyLength + (short ? 2 : 4);
  if (total > MAX_SN_PACKET)
    throw new RangeError(`MQTT-SN message of ${total} octets exceeds ${MAX_SN_PACKET}`);
  const buf = Buffer.allocUnsafe(total);
  if (short) {
    buf[0] = total;
    buf[1] = type;
    return [buf, 2];
  }
  buf[0] = 0x01;
  buf.writeUInt16BE(total, 1);
  buf[3] = type;
  return [buf, 4];
}

function fixed(type: number, ...octets: number[]): Buffer {
  const [buf, at] = frame(type, octets.length);
  for (let i = 0; i < octets.length; i++) buf[at + i] = octets[i]!;
  return buf;
}

const hi = (v: number) => (v >> 8) & 0xff;
const lo = (v: number) => v & 0xff;

/** Head octets then a tail of bytes (a name, a payload). */
function withTail(type: number, head: number[], tail: Buffer): Buffer {
  const [buf, at] = frame(type, head.length + tail.length);
  for (let i = 0; i < head.length; i++) buf[at + i] = head[i]!;
  tail.copy(buf, at + head.length);
  return buf;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Encodes one packet into one datagram. */
export function encodeSn(p: SnPacket): Buffer {
  switch (p.type) {
    case M.Advertise:
      return fixed(p.type, p.gatewayId, hi(p.duration), lo(p.duration));
    case M.SearchGw:
      return fixed(p.type, p.radius);
    case M.GwInfo:
      return withTail(p.type, [p.gatewayId], p.gatewayAddress ?? Buffer.alloc(0));
    case M.Connect: {
      const flags = flagsByte({ will: p.will, cleanSession: p.cleanSession });
      const head = [flags, p.protocolId, hi(p.duration), lo(p.duration)];
      return withTail(p.type, head, utf8(p.clientId));
    }
    case M.Connack:
    case M.WillTopicResp:
    case M.WillMsgResp:
      return fixed(p.type, p.returnCode);
    case M.WillTopicReq:
    case M.WillMsgReq:
    case M.Pingresp:
      return fixed(p.type);
    case M.WillTopic:
    case M.WillTopicUpd:
      if (p.willTopic === '') return fixed(p.type);
      return withTail(p.type, [flagsByte(p)], utf8(p.willTopic));
    case M.WillMsg:
    case M.WillMsgUpd:
      return withTail(p.type, [], p.willMessage);
    case M.Register:
      return withTail(
        p.type,
        [hi(p.topicId), lo(p.topicId), hi(p.msgId), lo(p.msgId)],
        utf8(p.topicName),
      );
    case M.Regack:
    case M.Puback:
      return fixed(p.type, hi(p.topicId), lo(p.topicId), hi(p.msgId), lo(p.msgId), p.returnCode);
    case M.Publish:
      return withTail(
        p.type,
        [flagsByte(p), hi(p.topicId), lo(p.topicId), hi(p.msgId), lo(p.msgId)],
        p.data,
      );
    case M.Pubrec:
    case M.Pubrel:
    case M.Pubcomp:
    case M.Unsuback:
      return fixed(p.type, hi(p.msgId), lo(p.msgId));
    case M.Subscribe:
    case M.Unsubscribe: {
      const head = [flagsByte(p), hi(p.msgId), lo(p.msgId)];
      if (typeof p.topic === 'number') return fixed(p.type, ...head, hi(p.topic), lo(p.topic));
      return withTail(
        p.type,
        head,
        Buffer.from(p.topic, p.topicIdType === 0b10 ? 'latin1' : 'utf8'),
      );
    }
    case M.Suback:
      return fixed(
        p.type,
        flagsByte(p),
        hi(p.topicId),
        lo(p.topicId),
        hi(p.msgId),
        lo(p.msgId),
        p.returnCode,
      );
    case M.Pingreq:
      return withTail(p.type, [], utf8(p.clientId ?? ''));
    case M.Disconnect:
      return p.duration === undefined
        ? fixed(p.type)
        : fixed(p.type, hi(p.duration), lo(p.duration));
  }
}
