// Test helpers: byte fixtures written as annotated hex lines, and decoding whole buffers.
import assert from 'node:assert/strict';
import {
  MqttError,
  type Packet,
  PacketDecoder,
  type ProtocolVersion,
} from '../../src/protocol/index.js';

/** Hex bytes, one field per line; text after '#' is a comment. */
export function bytes(...lines: string[]): Buffer {
  const hex = lines.map((line) => line.split('#')[0]).join(' ');
  const parts = hex.split(/\s+/).filter((part) => part.length > 0);
  for (const part of parts) assert.match(part, /^[0-9a-f]{2}$/i, `bad hex byte ${part}`);
  return Buffer.from(parts.map((part) => Number.parseInt(part, 16)));
}

/** The bytes of a string, as hex, for fixtures that carry text. */
export const text = (s: string): string =>
  Buffer.from(s, 'utf8').toString('hex').replace(/(..)/g, '$1 ');

/** Decodes every packet in `data` (pushed as one chunk) for a peer speaking `version`. */
export function decodeAll(data: Uint8Array, version: ProtocolVersion | undefined): Packet[] {
  const decoder = new PacketDecoder({ protocolVersion: version });
  decoder.push(data);
  const out: Packet[] = [];
  for (let p = decoder.next(); p !== undefined; p = decoder.next()) out.push(p);
  assert.equal(decoder.bufferedBytes, 0, 'bytes left over after the last packet');
  return out;
}

/** Decodes exactly one packet from `data`. */
export function decodeOne(data: Uint8Array, version: ProtocolVersion | undefined): Packet {
  const packets = decodeAll(data, version);
  assert.equal(packets.length, 1);
  return packets[0];
}

/** The MqttError decoding `data` throws (asserting that it throws one). */
export function decodeError(data: Uint8Array, version: ProtocolVersion | undefined): MqttError {
  const decoder = new PacketDecoder({ protocolVersion: version });
  decoder.push(data);
  try {
    while (decoder.next() !== undefined);
  } catch (err) {
    assert.ok(err instanceof MqttError, `expected MqttError, got ${err}`);
    return err;
  }
  assert.fail('decoding did not throw');
}
