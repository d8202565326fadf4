// Maximum packet size: a huge Remaining Length claim is refused as soon as it is read, and a
// permitted but huge claim never allocates what it claims, only what has arrived.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MqttError,
  PacketDecoder,
  PacketType,
  ProtocolVersion,
  ReasonCode,
  encode,
} from '../../src/protocol/index.js';

const MiB = 1024 * 1024;
const CLAIM = 100 * MiB;

/** Fixed header of a PUBLISH claiming `remainingLength` bytes. */
function publishHeader(remainingLength: number): number[] {
  const out = [0x30];
  let v = remainingLength;
  do {
    out.push((v % 128) | (v >= 128 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return out;
}

/** Memory held by Buffers and ArrayBuffers, which a body buffer would show up in. */
const bufferMemory = () => process.memoryUsage().arrayBuffers;

describe('maximum packet size', () => {
  it('refuses a 100 MB claim as soon as the length is read, with memory unchanged', () => {
    const decoder = new PacketDecoder({
      protocolVersion: ProtocolVersion.V5,
      maximumPacketSize: MiB,
    });
    const before = bufferMemory();
    const header = publishHeader(CLAIM);
    assert.deepEqual(header, [0x30, 0x80, 0x80, 0x80, 0x32]);
    for (const byte of header.slice(0, -1)) {
      decoder.push(Uint8Array.of(byte));
      assert.equal(decoder.next(), undefined, 'the length is not complete yet');
    }
    decoder.push(Uint8Array.of(header[header.length - 1]));
    let error: unknown;
    assert.throws(
      () => decoder.next(),
      (err) => {
        error = err;
        return err instanceof MqttError && err.reasonCode === ReasonCode.PacketTooLarge;
      },
    );
    for (let i = 0; i < 1000; i++) {
      decoder.push(Uint8Array.of(0x61)); // the trickle of body bytes that follows
      assert.throws(
        () => decoder.next(),
        (err) => err === error,
      );
    }
    assert.equal(decoder.bufferedBytes, 0);
    assert.ok(bufferMemory() - before < MiB, `buffer memory grew by ${bufferMemory() - before}`);
  });

  it('buffers a permitted 100 MB claim only as its bytes arrive', () => {
    const decoder = new PacketDecoder({ protocolVersion: ProtocolVersion.V5 });
    const before = bufferMemory();
    decoder.push(Uint8Array.from(publishHeader(CLAIM)));
    const trickle = Buffer.alloc(100, 0x61);
    for (let i = 0; i < 1000; i++) {
      decoder.push(trickle);
      assert.equal(decoder.next(), undefined);
    }
    assert.equal(decoder.bufferedBytes, 5 + 100_000);
    const grown = bufferMemory() - before;
    assert.ok(grown < 2 * MiB, `buffer memory grew by ${grown} bytes for a ${CLAIM}-byte claim`);
  });

  it('applies a maximum changed between packets', () => {
    const publish = encode(
      {
        type: PacketType.Publish,
        topic: 't',
        payload: Buffer.alloc(100),
        qos: 0,
        retain: false,
        dup: false,
        properties: {},
      },
      ProtocolVersion.V311,
    );
    const decoder = new PacketDecoder({ protocolVersion: ProtocolVersion.V311 });
    decoder.push(publish);
    assert.equal(decoder.next()?.type, PacketType.Publish);
    decoder.maximumPacketSize = publish.length - 1;
    decoder.push(publish);
    assert.throws(
      () => decoder.next(),
      (err: MqttError) => err.reasonCode === ReasonCode.PacketTooLarge,
    );
  });

  it('accepts a packet of exactly the maximum size', () => {
    const decoder = new PacketDecoder({
      protocolVersion: ProtocolVersion.V311,
      maximumPacketSize: 2,
    });
    decoder.push(Uint8Array.of(0xc0, 0x00));
    assert.equal(decoder.next()?.type, PacketType.Pingreq);
  });
});
