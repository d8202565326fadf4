// AUTH (section 3.15), 5.0 only. Remaining Length 0 means Success without properties; the
// encoder otherwise always writes the Property Length, which 3.15.2.2.1 does not let a
// sender omit (a received Remaining Length of 1 is still read as "no properties").
import { PacketType, ProtocolVersion, ReasonCode } from './constants.js';
import { type AuthPacket, NO_PROPERTIES } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { AUTH_CODES } from './reasons.js';

const AUTH = packetBit(PacketType.Auth);

export function decodeAuth(r: Reader): AuthPacket {
  let reasonCode: number = ReasonCode.Success;
  let properties = NO_PROPERTIES;
  if (r.remaining > 0) {
    reasonCode = r.u8();
    if (!AUTH_CODES.has(reasonCode)) throw badReasonCode(reasonCode, 'AUTH', 'MQTT-3.15.2-1');
    if (r.remaining > 0) properties = decodeProperties(r, AUTH);
  }
  r.done();
  return { type: PacketType.Auth, reasonCode, properties };
}

export function authSize(p: AuthPacket, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V5) throw new RangeError('AUTH exists only in MQTT 5.0');
  const propsSize = propertiesSize(p.properties, AUTH);
  if (propsSize === 0 && p.reasonCode === ReasonCode.Success) return 0;
  return 1 + propertyBlockSize(propsSize);
}

export function writeAuth(buf: Buffer, pos: number, p: AuthPacket, remainingLength: number) {
  if (remainingLength === 0) return pos;
  buf[pos++] = p.reasonCode;
  return writeProperties(buf, pos, p.properties, propertiesSize(p.properties, AUTH));
}
