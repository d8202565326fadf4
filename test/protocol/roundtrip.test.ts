// Property-based tests: encode→decode is the identity for generated packets of every type and
// version, in any chunking; random or mutated bytes decode to packets or one MqttError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MqttError,
  type Packet,
  PacketDecoder,
  PacketType,
  ProtocolVersion,
  encode,
  encodedSize,
} from '../../src/protocol/index.js';
import { packet, streamPacket } from './arbitraries.js';
import { normalize } from './helpers.js';

const VERSIONS = [ProtocolVersion.V31, ProtocolVersion.V311, ProtocolVersion.V5];
const RUNS = 400;
const TIME_LIMIT_MS = 8000;

function decodeAll(chunks: Uint8Array[], version: ProtocolVersion | undefined): Packet[] {
  const decoder = new PacketDecoder({ protocolVersion: version });
  const out: Packet[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let p = decoder.next(); p !== undefined; p = decoder.next()) out.push(p);
  }
  assert.equal(decoder.bufferedBytes, 0);
  return out;
}

/** Splits `data` at the given fractions of its length. */
function split(data: Buffer, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => Math.floor(c * data.length)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(last, point));
    last = point;
  }
  return chunks;
}

for (const version of VERSIONS) {
  describe(`round trips, protocol level ${version}`, () => {
    it('decode(encode(packet)) equals the packet, and encodedSize is exact', () => {
      fc.assert(
        fc.property(packet(version), (p) => {
          const wire = encode(p, version);
          assert.equal(encodedSize(p, version), wire.length);
          const server = p.type === PacketType.Connect ? undefined : version;
          const [decoded] = decodeAll([wire], server);
          assert.deepEqual(normalize(decoded), normalize(p));
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );
    });

    it('a stream of packets cut anywhere decodes to the same packets', () => {
      const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });
      fc.assert(
        fc.property(
          fc.array(streamPacket(version), { minLength: 1, maxLength: 6 }),
          cuts,
          (packets, at) => {
            const wire = Buffer.concat(packets.map((p) => encode(p, version)));
            const decoded = decodeAll(split(wire, at), version);
            assert.deepEqual(normalize(decoded), normalize(packets));
          },
        ),
        { numRuns: RUNS / 2, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );
    });

    it('pushing while earlier chunks wait still yields the packets in order', () => {
      // Each step: where to cut (snapped to a packet boundary or not), then how many reads.
      const step = fc.tuple(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.nat({ max: 2 }),
      );
      fc.assert(
        fc.property(
          fc.array(streamPacket(version), { minLength: 1, maxLength: 6 }),
          fc.array(step, { maxLength: 8 }),
          (packets, steps) => {
            const wires = packets.map((p) => encode(p, version));
            const ends = wires.map((_, i) =>
              wires.slice(0, i + 1).reduce((n, w) => n + w.length, 0),
            );
            const wire = Buffer.concat(wires);
            const cuts = steps.map(([at, snap]) =>
              snap ? ends[Math.floor(at * (ends.length - 1))] / wire.length : at,
            );
            const decoder = new PacketDecoder({ protocolVersion: version });
            const out: Packet[] = [];
            split(wire, cuts).forEach((chunk, i) => {
              decoder.push(chunk);
              for (let n = steps[i]?.[2] ?? 0; n > 0; n--) {
                const p = decoder.next();
                if (p !== undefined) out.push(p);
              }
            });
            for (let p = decoder.next(); p !== undefined; p = decoder.next()) out.push(p);
            assert.deepEqual(normalize(out), normalize(packets));
          },
        ),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );
    });
  });
}

/**
 * Feeds `chunks` and reads until the decoder wants more or fails. Only MqttError may escape;
 * every decoded packet must encode and decode to itself again. The bound on calls catches a
 * decoder that returns packets without consuming bytes.
 */
function decodeArbitrary(chunks: Uint8Array[], version: ProtocolVersion | undefined): void {
  const decoder = new PacketDecoder({ protocolVersion: version, maximumPacketSize: 4096 });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  let calls = 0;
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        assert.ok(++calls <= total, 'more packets than bytes');
        const v = decoder.protocolVersion!;
        const again = decodeAll([encode(p, v)], p.type === PacketType.Connect ? undefined : v);
        assert.deepEqual(normalize(again[0]), normalize(p));
      }
    }
  } catch (err) {
    if (!(err instanceof MqttError)) throw err;
    assert.throws(
      () => decoder.next(),
      (again) => again === err,
    );
  }
}

describe('decoding arbitrary bytes yields packets or one MqttError', () => {
  const versions = fc.constantFrom<ProtocolVersion | undefined>(undefined, ...VERSIONS);

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), versions, (data, v) =>
        decodeArbitrary([data], v),
      ),
      { numRuns: 3000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('valid packets with bytes mutated, pushed in pieces', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(fc.constant(v), packet(v))),
        mutation,
        fc.nat({ max: 40 }),
        ([v, p], edits, cut) => {
          const wire = Buffer.from(encode(p, v));
          for (const [at, value] of edits) wire[at % wire.length] = value;
          const server = p.type === PacketType.Connect ? undefined : v;
          decodeArbitrary([wire.subarray(0, cut), wire.subarray(cut)], server);
        },
      ),
      { numRuns: 3000, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });
});
