// The fixed header (section 2.1): packet type, flags and Remaining Length. Checked as soon as
// its bytes arrive, before any of the body is buffered.
import { MAX_VARIABLE_BYTE_INTEGER, PacketType, ProtocolVersion, ReasonCode } from './constants.js';
import { MqttError, malformed, protocolError } from './errors.js';

/** The largest packet MQTT can express: 1 type byte, 4 length bytes, the largest length. */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_VARIABLE_BYTE_INTEGER;

const MAX_VBI_BYTES = 4;
/** MQTT 3.1 retransmissions may set DUP on these QoS-1-flagged packets. */
const DUP = 0x08;

/** The rule naming each packet type's reserved flags, where the spec gives one. */
const FLAG_RULES: Partial<Record<number, string>> = {
  [PacketType.Pubrel]: 'MQTT-3.6.1-1',
  [PacketType.Subscribe]: 'MQTT-3.8.1-1',
  [PacketType.Unsubscribe]: 'MQTT-3.10.1-1',
  [PacketType.Disconnect]: 'MQTT-3.14.1-1',
  [PacketType.Auth]: 'MQTT-3.15.1-1',
};

/**
 * Checks byte 0 of a fixed header. `version` is undefined on a server before CONNECT, when
 * only CONNECT may come [MQTT-3.1.0-1]. PUBLISH flags are checked by the PUBLISH decoder.
 */
export function checkFirstByte(byte0: number, version: ProtocolVersion | undefined): void {
  const type = byte0 >> 4;
  if (version === undefined && type !== PacketType.Connect) {
    throw protocolError(`packet type ${type} before CONNECT`, 'MQTT-3.1.0-1');
  }
  if (type === 0 || (type === PacketType.Auth && version !== ProtocolVersion.V5)) {
    throw malformed(`reserved packet type ${type}`);
  }
  if (type === PacketType.Publish) return;
  let flags = byte0 & 0x0f;
  const qos1Flags =
    type === PacketType.Pubrel || type === PacketType.Subscribe || type === PacketType.Unsubscribe;
  if (qos1Flags && version === ProtocolVersion.V31) flags &= ~DUP;
  if (flags !== (qos1Flags ? 0x02 : 0x00)) {
    const generic = version === ProtocolVersion.V5 ? 'MQTT-2.1.3-1' : 'MQTT-2.2.2-1';
    throw malformed(
      `invalid fixed header flags ${flags} for packet type ${type}`,
      FLAG_RULES[type] ?? generic,
    );
  }
}

/**
 * Reads the Remaining Length at buf[start + 1 …]. Returns the header length (2–5) and stores
 * the length in `out.remainingLength`, or returns 0 when the bytes end before it does.
 */
export function readRemainingLength(
  buf: Uint8Array,
  start: number,
  end: number,
  out: { remainingLength: number },
): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= MAX_VBI_BYTES; i++) {
    if (start + i >= end) return 0;
    const b = buf[start + i];
    value += (b & 0x7f) * multiplier;
    if (b < 0x80) {
      // [MQTT-1.5.5-1]: the fewest bytes possible; we reject a padded form like 0x80 0x00.
      if (b === 0 && i > 1)
        throw malformed('Remaining Length not minimally encoded', 'MQTT-1.5.5-1');
      out.remainingLength = value;
      return i + 1;
    }
    multiplier *= 128;
  }
  throw malformed('Remaining Length longer than 4 bytes');
}

export function packetTooLarge(size: number, maximum: number): MqttError {
  return new MqttError(
    ReasonCode.PacketTooLarge,
    `packet of ${size} bytes exceeds the maximum ${maximum}`,
  );
}
