// UNSUBACK (section 3.11): 5.0 adds properties and one reason code per filter; 3.1 and
// 3.1.1 carry only the Packet Identifier.
import { PacketType, ProtocolVersion } from './constants.js';
import { protocolError } from './errors.js';
import { NO_PROPERTIES, type UnsubackPacket } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { UNSUBACK_CODES } from './reasons.js';
import { writeU16 } from './writer.js';

const UNSUBACK = packetBit(PacketType.Unsuback);

export function decodeUnsuback(r: Reader): UnsubackPacket {
  const packetId = r.packetId('MQTT-2.2.1-6', 'MQTT-2.3.1-7');
  const reasonCodes: number[] = [];
  if (r.version !== ProtocolVersion.V5) {
    r.done();
    return { type: PacketType.Unsuback, packetId, reasonCodes, properties: NO_PROPERTIES };
  }
  const properties = decodeProperties(r, UNSUBACK);
  while (r.remaining > 0) {
    const code = r.u8();
    if (!UNSUBACK_CODES.has(code)) throw badReasonCode(code, 'UNSUBACK', 'MQTT-3.11.3-2');
    reasonCodes.push(code);
  }
  if (reasonCodes.length === 0) {
    throw protocolError('UNSUBACK without a reason code', 'MQTT-3.11.3-2');
  }
  return { type: PacketType.Unsuback, packetId, reasonCodes, properties };
}

export function unsubackSize(p: UnsubackPacket, version: ProtocolVersion): number {
  if (p.packetId < 1 || p.packetId > 0xffff) throw new RangeError(`packetId ${p.packetId}`);
  if (version !== ProtocolVersion.V5) return 2;
  return 2 + propertyBlockSize(propertiesSize(p.properties, UNSUBACK)) + p.reasonCodes.length;
}

export function writeUnsuback(
  buf: Buffer,
  pos: number,
  p: UnsubackPacket,
  version: ProtocolVersion,
): number {
  pos = writeU16(buf, pos, p.packetId);
  if (version !== ProtocolVersion.V5) return pos;
  pos = writeProperties(buf, pos, p.properties, propertiesSize(p.properties, UNSUBACK));
  for (const code of p.reasonCodes) buf[pos++] = code;
  return pos;
}
