// Hand-made packets for malformed input: our encoder only writes valid packets, so these
// bytes are put together here, field by field.
import { encode, type Packet } from '../protocol/index.js';
import type { CheckVersion } from './types.js';

/** A Variable Byte Integer (1.5.5), shortest form. */
export function vbi(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** A whole packet: the first byte, the Remaining Length, then `body`. */
export function frame(firstByte: number, ...body: (number[] | Uint8Array)[]): Buffer {
  const rest = Buffer.concat(body.map((part) => Buffer.from(part)));
  return Buffer.concat([Buffer.from([firstByte, ...vbi(rest.length)]), rest]);
}

/** A UTF-8 Encoded String field (1.5.4): 2-byte length, then the bytes as given. */
export function stringField(bytes: Uint8Array | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  return Buffer.concat([Buffer.from([data.length >> 8, data.length & 0xff]), data]);
}

/** A valid packet with its first byte replaced (reserved flags, DUP on QoS 0, QoS 3). */
export function withFirstByte(packet: Packet, version: CheckVersion, firstByte: number): Buffer {
  const bytes = Buffer.from(encode(packet, version));
  bytes[0] = firstByte;
  return bytes;
}

/** A valid packet with the byte at `offset` (counted after the fixed header) changed. */
export function withBodyByte(
  packet: Packet,
  version: CheckVersion,
  offset: number,
  change: (b: number) => number,
) {
  const bytes = Buffer.from(encode(packet, version));
  let header = 2;
  while (bytes[header - 1]! & 0x80) header++;
  bytes[header + offset] = change(bytes[header + offset]!);
  return bytes;
}

/** A PUBLISH (QoS 0) whose Topic Name is the raw `topic` bytes (bad UTF-8, U+0000…). */
export function rawPublish(version: CheckVersion, topic: Uint8Array, payload = 'x'): Buffer {
  const properties = version === 5 ? [0] : [];
  return frame(0x30, stringField(topic), properties, Buffer.from(payload));
}

/** CONNECT flags byte offset after the fixed header: name (2+4), level (1). */
export const CONNECT_FLAGS_OFFSET = 7;
export const CONNECT_LEVEL_OFFSET = 6;
