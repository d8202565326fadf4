// The per-connection output batch: order kept, packet ids patched per recipient, a lone
// packet written as it is, large packets written without the batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputBuffer } from '../../src/broker/output.js';

function sink() {
  const chunks: Buffer[] = [];
  return { chunks, write: (c: Uint8Array) => chunks.push(Buffer.from(c)) > 0 };
}

test('a lone packet is written by reference, unchanged', () => {
  const out = new OutputBuffer();
  const s = sink();
  const packet = Buffer.from([0x20, 2, 0, 0]);
  out.append(packet);
  assert.equal(out.pendingBytes, 4);
  out.flush(s);
  assert.deepEqual(s.chunks, [packet]);
  assert.ok(out.isEmpty);
});

test('several packets go out in one write, in order, with packet id and DUP patched [MQTT-3.3.1-1]', () => {
  const out = new OutputBuffer();
  const s = sink();
  const shared = Buffer.from([0x32, 5, 0, 1, 0x61, 0, 0]); // PUBLISH QoS 1 "a", id placeholder
  out.append(Buffer.from([4]));
  out.appendPublish(shared, 5, 0x0102, true);
  out.appendPublish(shared, 5, 0x0304, false);
  out.flush(s);
  assert.deepEqual([...s.chunks[0]!], [4, 0x3a, 5, 0, 1, 0x61, 1, 2, 0x32, 5, 0, 1, 0x61, 3, 4]);
  assert.deepEqual(
    [...shared],
    [0x32, 5, 0, 1, 0x61, 0, 0],
    'the shared encoding is never changed',
  );
});

test('a large packet is written on its own, after what came before it', () => {
  const out = new OutputBuffer();
  const s = sink();
  out.append(Buffer.from([7]));
  out.append(Buffer.alloc(70_000, 9));
  out.append(Buffer.from([8]));
  out.flush(s);
  assert.deepEqual(
    s.chunks.map((c) => c.length),
    [1, 70_000, 1],
  );
  assert.deepEqual([s.chunks[0]![0], s.chunks[2]![0]], [7, 8]);
});

test('large chunks count in pendingBytes until flushed', () => {
  const out = new OutputBuffer();
  out.append(Buffer.from([7]));
  out.append(Buffer.alloc(70_000, 9));
  out.append(Buffer.from([8]));
  assert.equal(out.pendingBytes, 70_002);
  out.flush(sink());
  assert.equal(out.pendingBytes, 0);
});

/** A made-up framing for the test: [0xee, length] before each packet. */
const framing = {
  headerSize: () => 2,
  writeHeader(buffer: Uint8Array, at: number, length: number) {
    buffer[at] = 0xee;
    buffer[at + 1] = length & 0xff;
  },
};

test('framed: every packet, a lone one too, gets its header in front, all in one write; patched ids land in the packet', () => {
  const lone = new OutputBuffer(framing);
  const s1 = sink();
  lone.append(Buffer.from([0xd0, 0]));
  assert.equal(lone.pendingBytes, 4);
  assert.equal(lone.pendingPacketBytes, 2);
  lone.flush(s1);
  assert.deepEqual(
    s1.chunks.map((c) => [...c]),
    [[0xee, 2, 0xd0, 0]],
  );
  const out = new OutputBuffer(framing);
  const s = sink();
  const shared = Buffer.from([0x32, 5, 0, 1, 0x61, 0, 0]);
  out.append(Buffer.from([0x40, 2, 0, 9]));
  out.appendPublish(shared, 5, 0x0102, false);
  assert.equal(out.pendingPacketBytes, 11);
  out.flush(s);
  assert.deepEqual(
    s.chunks.map((c) => [...c]),
    [[0xee, 4, 0x40, 2, 0, 9, 0xee, 7, 0x32, 5, 0, 1, 0x61, 1, 2]],
  );
  assert.equal(out.pendingBytes, 0);
});

test('framed: a large packet is written after its own header, in order', () => {
  const out = new OutputBuffer(framing);
  const s = sink();
  out.append(Buffer.from([7]));
  out.append(Buffer.alloc(70_000, 9));
  out.append(Buffer.from([8]));
  assert.equal(out.pendingPacketBytes, 70_002);
  out.flush(s);
  assert.deepEqual(
    s.chunks.map((c) => c.length),
    [3, 2, 70_000, 2, 1],
  );
  assert.deepEqual([...s.chunks[0]!], [0xee, 1, 7]);
});
