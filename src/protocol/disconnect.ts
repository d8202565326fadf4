// DISCONNECT (section 3.14). 3.1 and 3.1.1: no variable header. 5.0: Reason Code and
// properties, each omitted when absent ("If the Remaining Length is less than 1 the value of
// 0x00 … is used"; "less than 2, a value of 0 is used" for the Property Length).
import { PacketType, ProtocolVersion, ReasonCode } from './constants.js';
import { type DisconnectPacket, NO_PROPERTIES } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { DISCONNECT_CODES } from './reasons.js';

const DISCONNECT = packetBit(PacketType.Disconnect);

export function decodeDisconnect(r: Reader): DisconnectPacket {
  let reasonCode: number = ReasonCode.NormalDisconnection;
  let properties = NO_PROPERTIES;
  if (r.version === ProtocolVersion.V5 && r.remaining > 0) {
    reasonCode = r.u8();
    if (!DISCONNECT_CODES.has(reasonCode)) {
      throw badReasonCode(reasonCode, 'DISCONNECT', 'MQTT-3.14.2-1');
    }
    if (r.remaining > 0) properties = decodeProperties(r, DISCONNECT);
  }
  r.done();
  return { type: PacketType.Disconnect, reasonCode, properties };
}

/** Remaining Length: 0 for a normal disconnection without properties, 1 for a reason only. */
export function disconnectSize(p: DisconnectPacket, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V5) return 0;
  const propsSize = propertiesSize(p.properties, DISCONNECT);
  if (propsSize === 0) return p.reasonCode === ReasonCode.NormalDisconnection ? 0 : 1;
  return 1 + propertyBlockSize(propsSize);
}

export function writeDisconnect(
  buf: Buffer,
  pos: number,
  p: DisconnectPacket,
  remainingLength: number,
): number {
  if (remainingLength === 0) return pos;
  buf[pos++] = p.reasonCode;
  if (remainingLength === 1) return pos;
  return writeProperties(buf, pos, p.properties, propertiesSize(p.properties, DISCONNECT));
}
