// Primitive reads over one packet's bytes (section 1.5 data representation). A Reader is
// reused from packet to packet, so decoding allocates only the values it returns.
import { isUtf8 } from 'node:buffer';
import { ProtocolVersion, ReasonCode } from './constants.js';
import { MqttError, malformed } from './errors.js';

/** Buffer's native slicers, present on every Node Buffer but missing from @types/node. */
export interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  utf8Write(value: string, offset: number): number;
}

/** The statement id in the version the peer speaks: 5.0 renumbered most of 3.1.1's rules. */
export const rule = (version: ProtocolVersion, v5: string, v311: string): string =>
  version === ProtocolVersion.V5 ? v5 : v311;

export const pastEnd = () => malformed('a field runs past the end of the packet');

/** Strings shorter than this are checked byte by byte in JS; longer ones by native scans. */
const NATIVE_SCAN_LENGTH = 48;
const NUL = 0x00;
const PLUS = 0x2b;
const HASH = 0x23;

function invalidUtf8(version: ProtocolVersion): MqttError {
  return malformed('invalid UTF-8 in a string', rule(version, 'MQTT-1.5.4-1', 'MQTT-1.5.3-1'));
}

function nulInString(version: ProtocolVersion): MqttError {
  return malformed('U+0000 in a string', rule(version, 'MQTT-1.5.4-2', 'MQTT-1.5.3-2'));
}

/**
 * Decodes bytes [start, end) as an MQTT UTF-8 string: well-formed UTF-8 without surrogates
 * (isUtf8 rejects those and overlong forms) and without U+0000, whose only UTF-8 form is
 * a zero byte. ASCII, the common case, is sliced as latin1, which skips UTF-8 decoding.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number, version: ProtocolVersion) {
  const fast = buf as FastBuffer;
  if (end - start < NATIVE_SCAN_LENGTH) {
    let i = start;
    for (; i < end; i++) {
      const b = buf[i];
      if (b === NUL) throw nulInString(version);
      if (b > 0x7f) break;
    }
    if (i === end) return fast.latin1Slice(start, end);
  }
  const bytes = buf.subarray(start, end);
  if (!isUtf8(bytes)) throw invalidUtf8(version);
  if (bytes.includes(NUL)) throw nulInString(version);
  return fast.utf8Slice(start, end);
}

/** True when bytes [start, end) hold '+' or '#'; UTF-8 multi-byte sequences never do. */
export function hasWildcard(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= NATIVE_SCAN_LENGTH) {
    const bytes = buf.subarray(start, end);
    return bytes.includes(PLUS) || bytes.includes(HASH);
  }
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === PLUS || b === HASH) return true;
  }
  return false;
}

/** The one empty buffer that decoding state points to when it holds no bytes. */
export const EMPTY = Buffer.alloc(0);

export class Reader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  version: ProtocolVersion = ProtocolVersion.V311;

  reset(buf: Buffer, pos: number, end: number, version: ProtocolVersion): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.version = version;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw pastEnd();
    return this.buf[this.pos++];
  }

  u16(): number {
    const pos = this.pos;
    if (pos + 2 > this.end) throw pastEnd();
    this.pos = pos + 2;
    return (this.buf[pos] << 8) | this.buf[pos + 1];
  }

  u32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) throw pastEnd();
    this.pos = pos + 4;
    return this.buf.readUInt32BE(pos);
  }

  /** Variable Byte Integer (1.5.5); overlong forms are rejected [MQTT-1.5.5-1]. */
  vbi(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      value += (b & 0x7f) * multiplier;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw malformed('Variable Byte Integer not minimal', 'MQTT-1.5.5-1');
        return value;
      }
      multiplier *= 128;
    }
    throw malformed('Variable Byte Integer longer than 4 bytes');
  }

  /** Length-prefixed UTF-8 string (1.5.4). */
  utf8(): string {
    const start = this.pos + 2;
    const end = start + this.u16();
    if (end > this.end) throw pastEnd();
    this.pos = end;
    return decodeUtf8(this.buf, start, end, this.version);
  }

  /** Length-prefixed binary data (1.5.6), a view on the packet's bytes. */
  binary(): Uint8Array {
    const start = this.pos + 2;
    const end = start + this.u16();
    if (end > this.end) throw pastEnd();
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  /** Everything left in the packet, as a view. */
  rest(): Uint8Array {
    const start = this.pos;
    this.pos = this.end;
    return this.buf.subarray(start, this.end);
  }

  /** A packet must end exactly where its last field ends. */
  done(): void {
    if (this.pos !== this.end) throw malformed('trailing bytes after the last field');
  }

  /** Packet Identifier where one is required: non-zero [MQTT-2.2.1-3] / [MQTT-2.3.1-1]. */
  packetId(ruleV5: string, ruleV311: string): number {
    const id = this.u16();
    if (id === 0) {
      throw new MqttError(
        ReasonCode.ProtocolError,
        'Packet Identifier 0',
        rule(this.version, ruleV5, ruleV311),
      );
    }
    return id;
  }
}
