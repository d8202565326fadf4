// CONNACK (section 3.2): decode, size and encode. 3.1 and 3.1.1 carry a return code, mapped
// to and from the 5.0 reason code the model holds (reasons.ts).
import { PacketType, ProtocolVersion } from './constants.js';
import { malformed } from './errors.js';
import { type ConnackPacket, NO_PROPERTIES } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { CONNACK_CODES, fromConnectReturnCode, toConnectReturnCode } from './reasons.js';

const CONNACK = packetBit(PacketType.Connack);
const SESSION_PRESENT = 0x01;

export function decodeConnack(r: Reader): ConnackPacket {
  const ackFlags = r.u8();
  const code = r.u8();
  const v5 = r.version === ProtocolVersion.V5;
  // 3.1 has no Session Present: its first byte is unused.
  if (r.version !== ProtocolVersion.V31 && ackFlags & ~SESSION_PRESENT) {
    throw malformed('CONNACK reserved acknowledge flags set', v5 ? 'MQTT-3.2.2-1' : undefined);
  }
  let reasonCode: number | undefined = code;
  if (v5) {
    if (!CONNACK_CODES.has(code)) throw badReasonCode(code, 'CONNACK', 'MQTT-3.2.2-8');
  } else {
    reasonCode = fromConnectReturnCode(code);
    if (reasonCode === undefined) throw malformed(`reserved CONNACK return code ${code}`);
  }
  const properties = v5 ? decodeProperties(r, CONNACK) : NO_PROPERTIES;
  r.done();
  return {
    type: PacketType.Connack,
    sessionPresent: r.version !== ProtocolVersion.V31 && (ackFlags & SESSION_PRESENT) !== 0,
    reasonCode,
    properties,
  };
}

export function connackSize(p: ConnackPacket, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V5) return 2;
  return 2 + propertyBlockSize(propertiesSize(p.properties, CONNACK));
}

export function writeConnack(
  buf: Buffer,
  pos: number,
  p: ConnackPacket,
  version: ProtocolVersion,
): number {
  buf[pos] = p.sessionPresent && version !== ProtocolVersion.V31 ? SESSION_PRESENT : 0;
  if (version !== ProtocolVersion.V5) {
    buf[pos + 1] = toConnectReturnCode(p.reasonCode);
    return pos + 2;
  }
  buf[pos + 1] = p.reasonCode;
  return writeProperties(buf, pos + 2, p.properties, propertiesSize(p.properties, CONNACK));
}
