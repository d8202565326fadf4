// PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4–3.7): one layout, four reason-code sets.
// 3.1 and 3.1.1 carry only the Packet Identifier; 5.0 may shorten to it when the reason is
// Success without properties (3.4.2.1: "The Reason Code and Property Length can be omitted").
import { PacketType, ProtocolVersion, ReasonCode } from './constants.js';
import { NO_PROPERTIES, type PubResponsePacket } from './packets.js';
import {
  badReasonCode,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import type { Reader } from './reader.js';
import { PUBACK_CODES, PUBREL_CODES } from './reasons.js';
import { writeU16 } from './writer.js';

export type PubResponseType =
  | typeof PacketType.Puback
  | typeof PacketType.Pubrec
  | typeof PacketType.Pubrel
  | typeof PacketType.Pubcomp;

const CODES: Record<PubResponseType, { codes: ReadonlySet<number>; name: string; rule: string }> = {
  [PacketType.Puback]: { codes: PUBACK_CODES, name: 'PUBACK', rule: 'MQTT-3.4.2-1' },
  [PacketType.Pubrec]: { codes: PUBACK_CODES, name: 'PUBREC', rule: 'MQTT-3.5.2-1' },
  [PacketType.Pubrel]: { codes: PUBREL_CODES, name: 'PUBREL', rule: 'MQTT-3.6.2-1' },
  [PacketType.Pubcomp]: { codes: PUBREL_CODES, name: 'PUBCOMP', rule: 'MQTT-3.7.2-1' },
};

export function decodePubResponse<T extends PubResponseType>(
  r: Reader,
  type: T,
): PubResponsePacket<T> {
  const packetId = r.packetId('MQTT-2.2.1-5', 'MQTT-2.3.1-6');
  let reasonCode: number = ReasonCode.Success;
  let properties = NO_PROPERTIES;
  if (r.version === ProtocolVersion.V5 && r.remaining > 0) {
    reasonCode = r.u8();
    const table = CODES[type];
    if (!table.codes.has(reasonCode)) throw badReasonCode(reasonCode, table.name, table.rule);
    // Remaining Length below 4: no Property Length, which then counts as 0.
    if (r.remaining > 0) properties = decodeProperties(r, packetBit(type));
  }
  r.done();
  return { type, packetId, reasonCode, properties };
}

/** Remaining Length: 2 (short form), 3 (reason code only) or with properties. */
export function pubResponseSize(p: PubResponsePacket<PubResponseType>, version: ProtocolVersion) {
  if (p.packetId < 1 || p.packetId > 0xffff) throw new RangeError(`packetId ${p.packetId}`);
  if (version !== ProtocolVersion.V5) return 2;
  const propsSize = propertiesSize(p.properties, packetBit(p.type));
  if (propsSize === 0) return p.reasonCode === ReasonCode.Success ? 2 : 3;
  return 3 + propertyBlockSize(propsSize);
}

export function writePubResponse(
  buf: Buffer,
  pos: number,
  p: PubResponsePacket<PubResponseType>,
  version: ProtocolVersion,
  remainingLength: number,
): number {
  pos = writeU16(buf, pos, p.packetId);
  if (version !== ProtocolVersion.V5 || remainingLength === 2) return pos;
  buf[pos++] = p.reasonCode;
  if (remainingLength === 3) return pos;
  const propsSize = propertiesSize(p.properties, packetBit(p.type));
  return writeProperties(buf, pos, p.properties, propsSize);
}
