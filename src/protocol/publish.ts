// PUBLISH (section 3.3): decode, size and encode, plus the packet-id patching a fan-out uses
// to send one encoding to many subscribers.
import { PacketType, ProtocolVersion, type QoS, ReasonCode } from './constants.js';
import { MqttError, malformed, protocolError } from './errors.js';
import { NO_PROPERTIES, type PublishPacket } from './packets.js';
import { decodeProperties, packetBit, propertiesSize, writeProperties } from './properties.js';
import { type Reader, decodeUtf8, hasWildcard, pastEnd } from './reader.js';
import { utf8Size, vbiSize, writeU16, writeUtf8 } from './writer.js';

const PUBLISH = packetBit(PacketType.Publish);
const RETAIN = 0x01;
const QOS_SHIFT = 1;
const DUP = 0x08;

/** Flags of the fixed header (3.3.1): DUP, QoS, RETAIN. */
function checkFlags(flags: number): void {
  const qos = (flags >> QOS_SHIFT) & 3;
  if (qos === 3) throw malformed('PUBLISH with QoS 3', 'MQTT-3.3.1-4');
  if (qos === 0 && flags & DUP) throw malformed('DUP set on a QoS 0 PUBLISH', 'MQTT-3.3.1-2');
}

/** Topic Name (3.3.2.1): a UTF-8 string without wildcards [MQTT-3.3.2-2]. */
function readTopicName(r: Reader): string {
  const buf = r.buf;
  const start = r.pos + 2;
  if (start > r.end) throw pastEnd();
  const end = start + ((buf[start - 2] << 8) | buf[start - 1]);
  if (end > r.end) throw pastEnd();
  const topic = decodeUtf8(buf, start, end, r.version);
  if (hasWildcard(buf, start, end)) {
    throw new MqttError(ReasonCode.TopicNameInvalid, 'wildcard in Topic Name', 'MQTT-3.3.2-2');
  }
  r.pos = end;
  return topic;
}

export function decodePublish(r: Reader, flags: number): PublishPacket {
  checkFlags(flags);
  const qos = ((flags >> QOS_SHIFT) & 3) as QoS;
  const v5 = r.version === ProtocolVersion.V5;
  const topic = readTopicName(r);
  const packetId = qos === 0 ? undefined : r.packetId('MQTT-2.2.1-3', 'MQTT-2.3.1-1');
  const properties = v5 ? decodeProperties(r, PUBLISH) : NO_PROPERTIES;
  // 5.0 allows an empty Topic Name only with a Topic Alias (3.3.2.3.4); 3.1.1 never.
  if (topic.length === 0 && properties.topicAlias === undefined) {
    throw protocolError('empty Topic Name', 'MQTT-4.7.3-1');
  }
  const payload = r.rest();
  const retain = (flags & RETAIN) !== 0;
  const dup = (flags & DUP) !== 0;
  if (packetId === undefined) {
    return { type: PacketType.Publish, topic, payload, qos, retain, dup, properties };
  }
  return { type: PacketType.Publish, topic, payload, qos, retain, dup, packetId, properties };
}

export function publishFlags(p: PublishPacket): number {
  return (p.dup ? DUP : 0) | (p.qos << QOS_SHIFT) | (p.retain ? RETAIN : 0);
}

function checkPacketId(p: PublishPacket): void {
  const id = p.packetId;
  if (p.qos !== 0 && (id === undefined || id < 1 || id > 0xffff)) {
    throw new RangeError(`QoS ${p.qos} PUBLISH needs a packetId in 1..65535, got ${id}`);
  }
}

/** Remaining Length; `propsSize` is propertiesSize(p.properties) for 5.0, else 0. */
export function publishSize(p: PublishPacket, version: ProtocolVersion, propsSize: number) {
  checkPacketId(p);
  let size = utf8Size(p.topic) + p.payload.length;
  if (p.qos !== 0) size += 2;
  if (version === ProtocolVersion.V5) size += vbiSize(propsSize) + propsSize;
  return size;
}

export const publishPropertiesSize = (p: PublishPacket, version: ProtocolVersion): number =>
  version === ProtocolVersion.V5 ? propertiesSize(p.properties, PUBLISH) : 0;

export function writePublish(
  buf: Buffer,
  pos: number,
  p: PublishPacket,
  version: ProtocolVersion,
  propsSize: number,
): number {
  pos = writeUtf8(buf, pos, p.topic);
  if (p.qos !== 0) pos = writeU16(buf, pos, p.packetId!);
  if (version === ProtocolVersion.V5) pos = writeProperties(buf, pos, p.properties, propsSize);
  buf.set(p.payload, pos);
  return pos + p.payload.length;
}

/**
 * Byte offset of the Packet Identifier inside an encoded QoS 1 or 2 PUBLISH: after the fixed
 * header and the Topic Name (3.3.2). A fan-out copies the encoding and patches the id there.
 */
export function publishPacketIdOffset(encoded: Uint8Array): number {
  if (encoded[0] >> 4 !== PacketType.Publish || ((encoded[0] >> QOS_SHIFT) & 3) === 0) {
    throw new RangeError('not an encoded QoS 1 or 2 PUBLISH');
  }
  let pos = 1;
  while (encoded[pos] & 0x80) pos++;
  pos++;
  return pos + 2 + ((encoded[pos] << 8) | encoded[pos + 1]);
}

/** Sets the Packet Identifier at `offset` (from publishPacketIdOffset) and the DUP flag. */
export function patchPublish(
  encoded: Uint8Array,
  offset: number,
  packetId: number,
  dup = false,
): void {
  encoded[0] = dup ? encoded[0] | DUP : encoded[0] & ~DUP;
  encoded[offset] = packetId >>> 8;
  encoded[offset + 1] = packetId & 0xff;
}
