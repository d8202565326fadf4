// Fan-out: one PUBLISH encoding copied per subscriber, with its packet id and DUP patched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_PROPERTIES,
  PacketDecoder,
  PacketType,
  ProtocolVersion,
  type PublishPacket,
  encode,
  patchPublish,
  publishPacketIdOffset,
} from '../../src/protocol/index.js';

const publish = (qos: 0 | 1 | 2, topic: string, payloadSize: number): PublishPacket => ({
  type: PacketType.Publish,
  topic,
  payload: Buffer.alloc(payloadSize, 0x5a),
  qos,
  retain: false,
  dup: false,
  ...(qos > 0 ? { packetId: 1 } : {}),
  properties: qos === 2 ? { userProperties: [['origin', 'fan-out']] } : NO_PROPERTIES,
});

function decodeOne(wire: Uint8Array, version: ProtocolVersion): PublishPacket {
  const decoder = new PacketDecoder({ protocolVersion: version });
  decoder.push(wire);
  const p = decoder.next();
  assert.equal(p?.type, PacketType.Publish);
  return p as PublishPacket;
}

describe('publishPacketIdOffset and patchPublish', () => {
  const cases: [ProtocolVersion, 1 | 2, string, number][] = [
    [ProtocolVersion.V311, 1, 'a/b', 10],
    [ProtocolVersion.V5, 2, 'é/ü', 10],
    [ProtocolVersion.V5, 1, 'x'.repeat(300), 20_000], // three-byte Remaining Length
  ];
  for (const [version, qos, topic, size] of cases) {
    it(`patches the id of a QoS ${qos} PUBLISH (level ${version}, ${size} B payload)`, () => {
      const original = publish(qos, topic, size);
      const shared = encode(original, version);
      const offset = publishPacketIdOffset(shared);
      assert.equal(shared.readUInt16BE(offset), 1);
      for (const [id, dup] of [
        [0xbeef, true],
        [7, false],
      ] as const) {
        const copy = Buffer.from(shared);
        patchPublish(copy, offset, id, dup);
        assert.deepEqual(decodeOne(copy, version), { ...original, packetId: id, dup });
      }
      assert.equal(shared.readUInt16BE(offset), 1, 'the shared encoding is untouched');
    });
  }

  it('refuses a QoS 0 PUBLISH, which has no packet id', () => {
    assert.throws(
      () => publishPacketIdOffset(encode(publish(0, 't', 1), ProtocolVersion.V5)),
      RangeError,
    );
  });
});
