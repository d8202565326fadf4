// Test helpers: byte fixtures written as annotated hex lines, and decoding whole buffers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MqttError,
  type Packet,
  PacketDecoder,
  PacketType,
  type ProtocolVersion,
  encode,
  encodedSize,
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

/** Byte arrays as plain arrays, so Buffer and Uint8Array values compare equal. */
export function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** One malformed input: the reason code the decoder must report and the rule it cites. */
export interface MalformedRow {
  what: string;
  /** undefined: a server before CONNECT, which learns the version from the packet. */
  version: ProtocolVersion | undefined;
  wire: string;
  reasonCode: number;
  ruleId?: string;
  maximumPacketSize?: number;
}

function checkMalformed(row: MalformedRow): void {
  const decoder = new PacketDecoder({
    protocolVersion: row.version,
    maximumPacketSize: row.maximumPacketSize,
  });
  decoder.push(bytes(row.wire));
  let error: unknown;
  try {
    while (decoder.next() !== undefined);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof MqttError, `expected an MqttError, got ${error}`);
  assert.equal(error.reasonCode, row.reasonCode, error.message);
  assert.equal(error.ruleId, row.ruleId, error.message);
}

/** One test per row, named by its rule id, what is wrong and the reason code expected. */
export function describeMalformed(name: string, rows: MalformedRow[]): void {
  describe(`malformed input: ${name}`, () => {
    for (const row of rows) {
      const level = row.version === undefined ? 'server' : `level ${row.version}`;
      const id = row.ruleId ? `[${row.ruleId}] ` : '';
      it(`${id}${row.what} (${level}) → 0x${row.reasonCode.toString(16)}`, () =>
        checkMalformed(row));
    }
  });
}

/** A packet and its exact bytes, built from the specification's field tables. */
export interface Fixture {
  name: string;
  versions: ProtocolVersion[];
  wire: Buffer;
  packet: Packet;
  /** The bytes are an alternative form the encoder does not produce. */
  decodeOnly?: boolean;
}

/** Each fixture must decode to its packet and (unless decodeOnly) encode to its bytes. */
export function describeFixtures(name: string, fixtures: Fixture[]): void {
  describe(`byte-exact fixtures: ${name}`, () => {
    for (const f of fixtures) {
      for (const version of f.versions) {
        it(`${f.name} (level ${version})`, () => {
          const server = f.packet.type === PacketType.Connect ? undefined : version;
          assert.deepEqual(normalize(decodeOne(f.wire, server)), normalize(f.packet));
          if (f.decodeOnly) return;
          assert.equal(encode(f.packet, version).toString('hex'), f.wire.toString('hex'));
          assert.equal(encodedSize(f.packet, version), f.wire.length);
        });
      }
    }
  });
}
