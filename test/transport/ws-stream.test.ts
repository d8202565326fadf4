// The WebSocket transport at the frame level: a raw socket does the HTTP upgrade and reads
// every frame header itself, so nothing in between can merge or split frames.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encode, type Packet, PacketDecoder, PacketType } from '../../src/protocol/index.js';
import { connectPacket, Harness, sleep } from '../conformance/raw-client.js';
import { clientFrame, openRawWebSocket, parseFrames } from './raw-websocket.js';

const OPCODE_BINARY = 0x2;

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A WebSocket client that keeps each frame as it came: no library, no reassembly. */
class FrameClient {
  readonly frames: Frame[] = [];
  private pending = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {}

  static async open(port: number): Promise<FrameClient> {
    const { socket, rest } = await openRawWebSocket(port);
    const client = new FrameClient(socket);
    socket.on('data', (data: Buffer) => client.onData(data));
    client.onData(rest);
    return client;
  }

  /** One masked binary frame holding `packets` back to back. */
  send(...packets: Packet[]): void {
    const payload = Buffer.concat(packets.map((p) => encode(p, 5)));
    this.socket.write(Buffer.concat(clientFrame(payload, randomBytes(4))));
  }

  /** Waits for `count` frames in all; returns the new ones. */
  async nextFrames(count: number, timeoutMs = 3_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.frames.length} of ${count} frames`);
      await sleep(5);
    }
    return this.frames.splice(0, count);
  }

  private onData(chunk: Buffer): void {
    const buf = Buffer.concat([this.pending, chunk]);
    const used = parseFrames(buf, (first, masked, start, end) => {
      assert.equal(masked, false, 'a server frame is never masked');
      this.frames.push({
        fin: (first & 0x80) !== 0,
        opcode: first & 0x0f,
        payload: Buffer.from(buf.subarray(start, end)),
      });
    });
    this.pending = Buffer.from(buf.subarray(used));
  }
}

/** The size of the packet at buf[0] by its fixed header: type byte, Remaining Length. */
function packetSize(buf: Buffer): number {
  let remaining = 0;
  for (let i = 1, multiplier = 1; i <= 4; i++, multiplier *= 128) {
    remaining += (buf[i]! & 0x7f) * multiplier;
    if (buf[i]! < 0x80) return 1 + i + remaining;
  }
  throw new Error('Remaining Length longer than 4 bytes');
}

/** Asserts that the frame is one whole binary message holding exactly one packet; decodes it. */
function onePacket(frame: Frame): Packet {
  assert.equal(frame.opcode, OPCODE_BINARY, '[MQTT-6.0.0-1] binary frames only');
  assert.equal(frame.fin, true);
  assert.equal(packetSize(frame.payload), frame.payload.length, 'one packet per frame');
  const decoder = new PacketDecoder({ protocolVersion: 5 });
  decoder.push(frame.payload);
  return decoder.next()!;
}

const subscribe = (topicFilter: string, packetId = 1): Packet => ({
  type: PacketType.Subscribe,
  packetId,
  subscriptions: [
    { topicFilter, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
  ],
  properties: {},
});

describe('transport: WebSocket frames', () => {
  let h: Harness;
  const open: FrameClient[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const c of open) c.socket.destroy();
    await h.close();
  });

  async function client(clientId: string): Promise<FrameClient> {
    const c = await FrameClient.open(h.wsPort);
    open.push(c);
    c.send(connectPacket({ clientId }));
    const [connack] = await c.nextFrames(1);
    assert.equal(onePacket(connack!).type, PacketType.Connack);
    return c;
  }

  it('SUBACK and the N retained messages behind it go out as N + 1 frames, one packet each', async () => {
    const retained = 5;
    for (let i = 0; i < retained; i++)
      h.server.publish(`frames/retained/${i}`, `r${i}`, { qos: 1, retain: true });
    const c = await client('frames-retained');
    c.send(subscribe('frames/retained/#'));
    const frames = await c.nextFrames(retained + 1);
    const packets = frames.map(onePacket);
    assert.deepEqual(
      packets.map((p) => p.type),
      [PacketType.Suback, ...Array(retained).fill(PacketType.Publish)],
    );
    await sleep(50);
    assert.equal(c.frames.length, 0, 'no frame beyond one per packet');
  });

  it('N packets written in one tick, of all three frame length forms and above the 64 KiB direct-write size, make N frames in order', async () => {
    const c = await client('frames-burst');
    c.send(subscribe('frames/burst/#'));
    assert.equal(onePacket((await c.nextFrames(1))[0]!).type, PacketType.Suback);
    const payloads = Array.from({ length: 50 }, (_, i) =>
      i % 10 === 5
        ? Buffer.alloc(70_000, i) // 64-bit frame length
        : i % 10 === 7
          ? Buffer.alloc(1_000, i) // 16-bit frame length
          : Buffer.from(`m${i}`),
    );
    payloads.forEach((payload, i) => {
      h.server.publish(`frames/burst/${i}`, payload, { qos: (i % 2) as 0 | 1 });
    });
    const packets = (await c.nextFrames(payloads.length)).map(onePacket);
    assert.deepEqual(
      packets.map((p) => (p.type === PacketType.Publish ? Buffer.from(p.payload) : p.type)),
      payloads,
    );
  });

  it('a PUBACK and the delivery of the same message to the publisher itself are two frames', async () => {
    const c = await client('frames-self');
    c.send(subscribe('frames/self'));
    await c.nextFrames(1);
    c.send({
      type: PacketType.Publish,
      topic: 'frames/self',
      payload: Buffer.from('x'),
      qos: 1,
      packetId: 7,
      retain: false,
      dup: false,
      properties: {},
    });
    const types = (await c.nextFrames(2)).map((f) => onePacket(f).type).sort();
    assert.deepEqual(types, [PacketType.Publish, PacketType.Puback].sort());
  });
});
