// Fills a running broker with retained messages and persistent sessions, and checks that they
// are there: shared by the restart benchmark and the restart test.
import { connect, type Socket } from 'node:net';
import { PacketType } from '../src/protocol/constants.js';
import { encode, PacketDecoder } from '../src/protocol/index.js';
import type { Packet } from '../src/protocol/packets.js';

const V = 4;

/** A raw MQTT 3.1.1 connection that hands every packet after CONNACK to `onPacket`. */
export function openClient(
  port: number,
  clientId: string,
  clean: boolean,
  onPacket: (p: Packet) => void = () => {},
): Promise<{ socket: Socket; sessionPresent: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const decoder = new PacketDecoder({ protocolVersion: V });
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      decoder.push(chunk);
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        if (p.type === PacketType.Connack) resolve({ socket, sessionPresent: p.sessionPresent });
        else onPacket(p);
      }
    });
    socket.write(
      encode(
        {
          type: PacketType.Connect,
          protocolName: 'MQTT',
          protocolVersion: V,
          clean,
          keepAlive: 0,
          clientId,
          properties: {},
        },
        V,
      ),
    );
  });
}

const disconnect = encode({ type: PacketType.Disconnect, reasonCode: 0, properties: {} }, V);

/** Publishes `count` retained messages `prefix/<i>` and waits until the broker has them all. */
export async function fillRetained(port: number, prefix: string, count: number): Promise<void> {
  let acked = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const { socket } = await openClient(port, `${prefix}-filler`, true, (p) => {
    if (p.type === PacketType.Puback && ++acked === count) done();
  });
  const batch: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(`retained ${i} ${'x'.repeat(40)}`);
    batch.push(
      encode(
        {
          type: PacketType.Publish,
          topic: `${prefix}/${i}`,
          payload,
          qos: 1,
          retain: true,
          dup: false,
          packetId: (i % 65535) + 1,
          properties: {},
        },
        V,
      ),
    );
    if (batch.length === 1000 || i === count - 1) {
      if (!socket.write(Buffer.concat(batch))) await new Promise((r) => socket.once('drain', r));
      batch.length = 0;
      // Stay well inside the packet-id space and the broker's window.
      while (i + 1 - acked > 20_000) await new Promise((r) => setTimeout(r, 5));
    }
  }
  await finished;
  socket.end(disconnect);
}

/** Opens `count` persistent sessions, each subscribed to its own filter, then disconnects them. */
export async function fillSessions(
  port: number,
  prefix: string,
  count: number,
  parallel = 50,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      let subscribed: () => void = () => {};
      const suback = new Promise<void>((r) => {
        subscribed = r;
      });
      const { socket } = await openClient(port, `${prefix}-s${i}`, false, (p) => {
        if (p.type === PacketType.Suback) subscribed();
      });
      socket.write(
        encode(
          {
            type: PacketType.Subscribe,
            packetId: 1,
            subscriptions: [
              {
                topicFilter: `${prefix}/sessions/${i}/#`,
                qos: 1,
                noLocal: false,
                retainAsPublished: false,
                retainHandling: 2,
              },
            ],
            properties: {},
          },
          V,
        ),
      );
      await suback;
      await new Promise<void>((r) => socket.end(disconnect, () => r()));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/**
 * How many retained messages a `prefix/#` subscription receives: stops at `expected`, or after
 * `quietMs` without a message (generous: a loaded machine can pause the broker for a while).
 */
export async function countRetained(
  port: number,
  prefix: string,
  expected: number,
  quietMs = 3000,
): Promise<number> {
  let received = 0;
  let last = Date.now();
  const { socket } = await openClient(port, `${prefix}-counter`, true, (p) => {
    if (p.type === PacketType.Publish) {
      received++;
      last = Date.now();
    }
  });
  socket.write(
    encode(
      {
        type: PacketType.Subscribe,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: `${prefix}/#`,
            qos: 0,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: {},
      },
      V,
    ),
  );
  while (received < expected && Date.now() - last < quietMs)
    await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return received;
}

/** How many of the first `count` sessions come back with Session Present = 1. */
export async function countPresentSessions(
  port: number,
  prefix: string,
  count: number,
): Promise<number> {
  let present = 0;
  for (let i = 0; i < count; i++) {
    const { socket, sessionPresent } = await openClient(port, `${prefix}-s${i}`, false);
    if (sessionPresent) present++;
    socket.end(disconnect);
  }
  return present;
}
