// SUBACK (section 3.9): one reason code per subscription. 3.1.1 knows only the granted QoS
// and 0x80 Failure, so every 5.0 failure code is sent to it as 0x80.
import { PacketType, ProtocolVersion, ReasonCode } from './constants.js';
import { protocolError } from './errors.js';
import { NO_PROPERTIES, type SubackPacket } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import { type Reader, rule } from './reader.js';
import { SUBACK_CODES, SUBACK_CODES_V311 } from './reasons.js';
import { writeU16 } from './writer.js';

const SUBACK = packetBit(PacketType.Suback);

export function decodeSuback(r: Reader): SubackPacket {
  const packetId = r.packetId('MQTT-2.2.1-6', 'MQTT-2.3.1-7');
  const v5 = r.version === ProtocolVersion.V5;
  const properties = v5 ? decodeProperties(r, SUBACK) : NO_PROPERTIES;
  const codes = v5 ? SUBACK_CODES : SUBACK_CODES_V311;
  const reasonCodes: number[] = [];
  while (r.remaining > 0) {
    const code = r.u8();
    if (!codes.has(code)) throw badReasonCode(code, 'SUBACK', 'MQTT-3.9.3-2');
    reasonCodes.push(code);
  }
  if (reasonCodes.length === 0) {
    // One code per filter, and a SUBSCRIBE has at least one filter.
    throw protocolError(
      'SUBACK without a reason code',
      rule(r.version, 'MQTT-3.8.4-6', 'MQTT-3.8.4-5'),
    );
  }
  return { type: PacketType.Suback, packetId, reasonCodes, properties };
}

export function subackSize(p: SubackPacket, version: ProtocolVersion): number {
  if (p.packetId < 1 || p.packetId > 0xffff) throw new RangeError(`packetId ${p.packetId}`);
  const size = 2 + p.reasonCodes.length;
  if (version !== ProtocolVersion.V5) return size;
  return size + propertyBlockSize(propertiesSize(p.properties, SUBACK));
}

export function writeSuback(
  buf: Buffer,
  pos: number,
  p: SubackPacket,
  version: ProtocolVersion,
): number {
  const v5 = version === ProtocolVersion.V5;
  pos = writeU16(buf, pos, p.packetId);
  if (v5) pos = writeProperties(buf, pos, p.properties, propertiesSize(p.properties, SUBACK));
  for (const code of p.reasonCodes) {
    buf[pos++] = v5 || code < ReasonCode.UnspecifiedError ? code : ReasonCode.UnspecifiedError;
  }
  return pos;
}
