// UNSUBSCRIBE (section 3.10): decode, size and encode. Filter syntax is the topic layer's job.
import { PacketType, ProtocolVersion } from './constants.js';
import { protocolError } from './errors.js';
import { NO_PROPERTIES, type UnsubscribePacket } from './packets.js';
import {
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { utf8Size, writeU16, writeUtf8 } from './writer.js';

const UNSUBSCRIBE = packetBit(PacketType.Unsubscribe);

export function decodeUnsubscribe(r: Reader): UnsubscribePacket {
  const packetId = r.packetId('MQTT-2.2.1-3', 'MQTT-2.3.1-1');
  const properties =
    r.version === ProtocolVersion.V5 ? decodeProperties(r, UNSUBSCRIBE) : NO_PROPERTIES;
  const topicFilters: string[] = [];
  while (r.remaining > 0) topicFilters.push(r.utf8());
  if (topicFilters.length === 0) {
    throw protocolError('UNSUBSCRIBE without a topic filter', 'MQTT-3.10.3-2');
  }
  return { type: PacketType.Unsubscribe, packetId, topicFilters, properties };
}

export function unsubscribeSize(p: UnsubscribePacket, version: ProtocolVersion): number {
  if (p.packetId < 1 || p.packetId > 0xffff) throw new RangeError(`packetId ${p.packetId}`);
  let size = 2;
  if (version === ProtocolVersion.V5) {
    size += propertyBlockSize(propertiesSize(p.properties, UNSUBSCRIBE));
  }
  for (const filter of p.topicFilters) size += utf8Size(filter);
  return size;
}

export function writeUnsubscribe(
  buf: Buffer,
  pos: number,
  p: UnsubscribePacket,
  version: ProtocolVersion,
): number {
  pos = writeU16(buf, pos, p.packetId);
  if (version === ProtocolVersion.V5) {
    pos = writeProperties(buf, pos, p.properties, propertiesSize(p.properties, UNSUBSCRIBE));
  }
  for (const filter of p.topicFilters) pos = writeUtf8(buf, pos, filter);
  return pos;
}
