// A closed-loop QoS 1 fan-in load for benchmarks that ../shared/bench cannot express
// (persistent subscribers): N publishers, each with a window of PUBLISHes in flight, and one
// subscriber that acknowledges everything. Raw sockets and our codec: nothing else in the way.
import { connect, type Socket } from 'node:net';
import { PacketType } from '../src/protocol/constants.js';
import { encode, PacketDecoder, publishPacketIdOffset } from '../src/protocol/index.js';
import type { Packet } from '../src/protocol/packets.js';

export interface FaninOptions {
  port: number;
  /** Where the subscriber connects, when not `port` (another node of a cluster). */
  subscriberPort?: number;
  publishers: number;
  window: number;
  payloadBytes: number;
  warmupSeconds: number;
  seconds: number;
  /** The subscriber's session survives disconnects (Clean Session 0). */
  persistentSubscriber: boolean;
  topicPrefix: string;
}

export interface FaninResult {
  received: number;
  rate: number;
}

interface Peer {
  socket: Socket;
  decoder: PacketDecoder;
}

/**
 * Connects and hands each chunk's packets after CONNACK to `onPackets` at once, so replies
 * can be batched into one write per chunk (the load must cost less than the broker).
 */
function open(
  port: number,
  clientId: string,
  clean: boolean,
  onPackets: (packets: Packet[], peer: Peer) => void,
): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const peer: Peer = { socket, decoder: new PacketDecoder({ protocolVersion: 4 }) };
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      peer.decoder.push(chunk);
      const packets: Packet[] = [];
      for (let p = peer.decoder.next(); p !== undefined; p = peer.decoder.next()) {
        if (p.type === PacketType.Connack) resolve(peer);
        else packets.push(p);
      }
      if (packets.length > 0) onPackets(packets, peer);
    });
    socket.write(
      encode(
        {
          type: PacketType.Connect,
          protocolName: 'MQTT',
          protocolVersion: 4,
          clean,
          keepAlive: 60,
          clientId,
          properties: {},
        },
        4,
      ),
    );
  });
}

const puback = (packetId: number) =>
  encode({ type: PacketType.Puback, packetId, reasonCode: 0, properties: {} }, 4);

export async function runFanin(o: FaninOptions): Promise<FaninResult> {
  let received = 0;
  const subscriber = await open(
    o.subscriberPort ?? o.port,
    `${o.topicPrefix}-sub`,
    !o.persistentSubscriber,
    (packets, peer) => {
      const acks: Buffer[] = [];
      for (const p of packets) {
        if (p.type !== PacketType.Publish) continue;
        received++;
        if (p.qos === 1) acks.push(puback(p.packetId!));
      }
      if (acks.length > 0) peer.socket.write(Buffer.concat(acks));
    },
  );
  subscriber.socket.write(
    encode(
      {
        type: PacketType.Subscribe,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: `${o.topicPrefix}/#`,
            qos: 1,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: {},
      },
      4,
    ),
  );
  let running = true;
  const template = encode(
    {
      type: PacketType.Publish,
      topic: `${o.topicPrefix}/x`,
      payload: Buffer.alloc(o.payloadBytes, 7),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: {},
    },
    4,
  );
  const offset = publishPacketIdOffset(template);
  const publishers: Peer[] = [];
  for (let i = 0; i < o.publishers; i++) {
    let nextId = 1;
    const send = (peer: Peer, count: number) => {
      const batch = Buffer.allocUnsafe(template.length * count);
      for (let k = 0; k < count; k++) {
        template.copy(batch, k * template.length);
        batch.writeUInt16BE(nextId, k * template.length + offset);
        nextId = nextId === 65535 ? 1 : nextId + 1;
      }
      peer.socket.write(batch);
    };
    const peer = await open(o.port, `${o.topicPrefix}-pub-${i}`, true, (packets, self) => {
      const acked = packets.filter((p) => p.type === PacketType.Puback).length;
      if (acked > 0 && running) send(self, acked);
    });
    publishers.push(peer);
    send(peer, o.window);
  }
  await new Promise((r) => setTimeout(r, o.warmupSeconds * 1000));
  const start = received;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const count = received - start;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  running = false;
  for (const p of [...publishers, subscriber]) p.socket.destroy();
  return { received: count, rate: count / elapsed };
}
