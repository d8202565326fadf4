// Framing: packets split anywhere, many packets per chunk, payloads viewed not copied, and
// the dead state after an error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_PROPERTIES,
  type Packet,
  PacketDecoder,
  PacketType,
  ProtocolVersion,
  ReasonCode,
  encode,
} from '../../src/protocol/index.js';

const V5 = ProtocolVersion.V5;

function samplePackets(): Packet[] {
  return [
    {
      type: PacketType.Publish,
      topic: 'a/b',
      payload: Buffer.from('hello'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 10,
      properties: { userProperties: [['k', 'v']] },
    },
    { type: PacketType.Pingreq },
    {
      type: PacketType.Subscribe,
      packetId: 2,
      subscriptions: [
        { topicFilter: 'x/#', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 1 },
      ],
      properties: NO_PROPERTIES,
    },
    {
      type: PacketType.Publish,
      topic: 't',
      payload: Buffer.alloc(300, 7),
      qos: 0,
      retain: true,
      dup: false,
      properties: NO_PROPERTIES,
    },
    {
      type: PacketType.Disconnect,
      reasonCode: ReasonCode.NormalDisconnection,
      properties: NO_PROPERTIES,
    },
  ];
}

function drain(decoder: PacketDecoder): Packet[] {
  const out: Packet[] = [];
  for (let p = decoder.next(); p !== undefined; p = decoder.next()) out.push(p);
  return out;
}

describe('PacketDecoder framing', () => {
  const packets = samplePackets();
  const stream = Buffer.concat(packets.map((p) => encode(p, V5)));

  it('decodes many packets pushed as one chunk', () => {
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(stream);
    assert.deepEqual(drain(decoder), packets);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('decodes the same stream pushed one byte at a time', () => {
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    const out: Packet[] = [];
    for (const byte of stream) {
      decoder.push(Uint8Array.of(byte));
      out.push(...drain(decoder));
    }
    assert.deepEqual(out, packets);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('decodes thousands of one-byte chunks pushed before any read', () => {
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    const repeated = Buffer.concat([stream, stream, stream, stream, stream]);
    for (const byte of repeated) decoder.push(Uint8Array.of(byte));
    assert.equal(decoder.bufferedBytes, repeated.length);
    assert.deepEqual(drain(decoder), [...packets, ...packets, ...packets, ...packets, ...packets]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('decodes the stream split at every pair of offsets', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 7) {
        const decoder = new PacketDecoder({ protocolVersion: V5 });
        decoder.push(stream.subarray(0, i));
        const out = drain(decoder);
        decoder.push(stream.subarray(i, j));
        out.push(...drain(decoder));
        decoder.push(stream.subarray(j));
        out.push(...drain(decoder));
        assert.deepEqual(out, packets, `split at ${i}, ${j}`);
      }
    }
  });

  it('gives a payload that is a view on the pushed chunk when the packet lies in it', () => {
    const chunk = encode(packets[3], V5);
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(chunk);
    const p = decoder.next();
    assert.equal(p?.type, PacketType.Publish);
    if (p?.type !== PacketType.Publish) return;
    assert.equal(p.payload.buffer, chunk.buffer, 'payload shares the chunk memory');
    chunk[chunk.length - 1] = 99;
    assert.equal(p.payload[p.payload.length - 1], 99);
  });

  it('copies a packet that spans chunks, so its payload outlives them', () => {
    const chunk = encode(packets[3], V5);
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(chunk.subarray(0, 10));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.bufferedBytes, 10);
    decoder.push(chunk.subarray(10));
    const p = decoder.next();
    if (p?.type !== PacketType.Publish) return assert.fail('expected PUBLISH');
    chunk.fill(0);
    assert.ok(Buffer.from(p.payload).equals(Buffer.alloc(300, 7)), 'payload is a copy');
  });

  it('keeps chunk order when a chunk is pushed while others wait', () => {
    const wires = packets.map((p) => encode(p, V5));
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(wires[0]);
    decoder.push(wires[1]);
    assert.deepEqual(decoder.next(), packets[0]);
    decoder.push(wires[2]); // the first chunk is used up, the second still queued
    assert.deepEqual(drain(decoder), packets.slice(1, 3));
  });

  it('accepts plain Uint8Array chunks', () => {
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(new Uint8Array(stream));
    assert.deepEqual(drain(decoder), packets);
  });

  it('stays dead after an error, throwing the same error', () => {
    const decoder = new PacketDecoder({ protocolVersion: V5 });
    decoder.push(Uint8Array.of(0x00, 0x00)); // packet type 0 is reserved
    let first: unknown;
    assert.throws(
      () => decoder.next(),
      (err) => {
        first = err;
        return true;
      },
    );
    decoder.push(encode({ type: PacketType.Pingreq }, V5));
    assert.throws(
      () => decoder.next(),
      (err) => err === first,
    );
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('takes the protocol version from CONNECT on a server', () => {
    const decoder = new PacketDecoder();
    assert.equal(decoder.protocolVersion, undefined);
    decoder.push(
      encode(
        {
          type: PacketType.Connect,
          protocolName: 'MQIsdp',
          protocolVersion: ProtocolVersion.V31,
          clean: true,
          keepAlive: 10,
          clientId: 'c',
          properties: NO_PROPERTIES,
        },
        ProtocolVersion.V31,
      ),
    );
    assert.equal(decoder.next()?.type, PacketType.Connect);
    assert.equal(decoder.protocolVersion, ProtocolVersion.V31);
  });

  it('rejects a packet other than CONNECT first on a server [MQTT-3.1.0-1]', () => {
    const decoder = new PacketDecoder();
    decoder.push(encode({ type: PacketType.Pingreq }, V5));
    assert.throws(
      () => decoder.next(),
      (err: { reasonCode?: number; ruleId?: string }) =>
        err.reasonCode === ReasonCode.ProtocolError && err.ruleId === 'MQTT-3.1.0-1',
    );
  });
});
