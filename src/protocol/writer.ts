// Primitive writes into a preallocated buffer (section 1.5). Each returns the next offset, so
// an encoder threads one integer through its fields and allocates nothing else.
import { MAX_VARIABLE_BYTE_INTEGER } from './constants.js';
import type { FastBuffer } from './reader.js';

const MAX_UINT16 = 0xffff;

/** Bytes a Variable Byte Integer of this value takes (1.5.5). */
export function vbiSize(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  if (value <= MAX_VARIABLE_BYTE_INTEGER) return 4;
  throw new RangeError(`${value} does not fit a Variable Byte Integer`);
}

export function writeVbi(buf: Buffer, pos: number, value: number): number {
  let v = value;
  while (v >= 128) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function writeU16(buf: Buffer, pos: number, value: number): number {
  buf[pos] = value >>> 8;
  buf[pos + 1] = value & 0xff;
  return pos + 2;
}

export function writeU32(buf: Buffer, pos: number, value: number): number {
  buf.writeUInt32BE(value, pos);
  return pos + 4;
}

/** Encoded size of a length-prefixed UTF-8 string; a string over 65,535 bytes cannot be sent. */
export function utf8Size(value: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  if (length > MAX_UINT16) throw new RangeError('string longer than 65,535 bytes');
  return 2 + length;
}

export function binarySize(value: Uint8Array): number {
  if (value.length > MAX_UINT16) throw new RangeError('binary data longer than 65,535 bytes');
  return 2 + value.length;
}

/** Writes the string after its 2-byte length, which is filled in from the bytes written. */
export function writeUtf8(buf: Buffer, pos: number, value: string): number {
  const length = value.length === 0 ? 0 : (buf as FastBuffer).utf8Write(value, pos + 2);
  writeU16(buf, pos, length);
  return pos + 2 + length;
}

export function writeBinary(buf: Buffer, pos: number, value: Uint8Array): number {
  writeU16(buf, pos, value.length);
  buf.set(value, pos + 2);
  return pos + 2 + value.length;
}

export function writeBytes(buf: Buffer, pos: number, value: Uint8Array): number {
  buf.set(value, pos);
  return pos + value.length;
}
