// PINGREQ and PINGRESP (sections 3.12, 3.13): a fixed header and nothing else.
import { PacketType } from './constants.js';
import type { PingreqPacket, PingrespPacket } from './packets.js';
import type { Reader } from './reader.js';

/** Shared decoded values: the packets have no fields, so one frozen object each suffices. */
export const PINGREQ: PingreqPacket = Object.freeze({ type: PacketType.Pingreq });
export const PINGRESP: PingrespPacket = Object.freeze({ type: PacketType.Pingresp });

export function decodePingreq(r: Reader): PingreqPacket {
  r.done();
  return PINGREQ;
}

export function decodePingresp(r: Reader): PingrespPacket {
  r.done();
  return PINGRESP;
}
