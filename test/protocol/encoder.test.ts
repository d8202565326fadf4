// The encoder's buffers: exact size at every allocation path (Node's pool, the shared slab,
// own memory), and packets sliced from one slab never overlap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_PROPERTIES,
  PacketDecoder,
  PacketType,
  ProtocolVersion,
  type PublishPacket,
  encode,
  encodedSize,
} from '../../src/protocol/index.js';

const V5 = ProtocolVersion.V5;

const publish = (payloadSize: number, fill: number): PublishPacket => ({
  type: PacketType.Publish,
  topic: 'size/test',
  payload: Buffer.alloc(payloadSize, fill),
  qos: 1,
  retain: false,
  dup: false,
  packetId: fill + 1,
  properties: NO_PROPERTIES,
});

function decode(wire: Uint8Array): PublishPacket {
  const decoder = new PacketDecoder({ protocolVersion: V5 });
  decoder.push(wire);
  return decoder.next() as PublishPacket;
}

describe('encode buffers', () => {
  it('has the exact size around every allocation threshold', () => {
    for (const size of [0, 4000, 4079, 4080, 4096, 8192, 16_000, 16_368, 16_369, 200_000]) {
      const p = publish(size, size % 251);
      const wire = encode(p, V5);
      assert.equal(wire.length, encodedSize(p, V5), `payload ${size}`);
      assert.deepEqual(decode(wire), p);
    }
  });

  it('gives each packet its own bytes, also when they share a slab', () => {
    const packets = Array.from({ length: 100 }, (_, i) => publish(4500 + i * 97, i));
    const wires = packets.map((p) => encode(p, V5));
    wires.forEach((wire, i) => {
      assert.deepEqual(decode(wire), packets[i], `packet ${i}`);
    });
    wires[0].fill(0xff);
    assert.deepEqual(decode(wires[1]), packets[1]);
  });
});
