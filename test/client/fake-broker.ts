// A scripted MQTT server on 127.0.0.1 for client tests that need exact control over what
// the "broker" answers (limits in CONNACK, withheld acknowledgements, failure codes).
// It speaks through the Culex codec, so it sees the client's packets as decoded values.
import net from 'node:net';
import {
  type ConnackPacket,
  type Packet,
  PacketDecoder,
  PacketType,
  type ProtocolVersion,
  type Properties,
  encode,
} from '../../src/protocol/index.js';

export interface FakeConnection {
  /** Every packet received on this connection, in order. */
  packets: Packet[];
  version: ProtocolVersion;
  send(packet: Packet): void;
  /** Resolves with the first received packet (past or future) matching `test`. */
  waitFor<P extends Packet>(test: (packet: Packet) => packet is P, ms?: number): Promise<P>;
  waitFor(test: (packet: Packet) => boolean, ms?: number): Promise<Packet>;
  destroy(): void;
}

export interface FakeBrokerScript {
  /** CONNACK to answer with (reason code, properties); default success. */
  connack?: (index: number) => Partial<ConnackPacket>;
  /** Called for every packet after CONNECT; the default answers nothing. */
  onPacket?: (packet: Packet, connection: FakeConnection) => void;
}

export interface FakeBroker {
  url: string;
  connections: FakeConnection[];
  /** Resolves when the n-th connection (0-based) has sent CONNECT. */
  connection(index: number, ms?: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

const isConnect = (p: Packet) => p.type === PacketType.Connect;

export async function startFakeBroker(script: FakeBrokerScript = {}): Promise<FakeBroker> {
  const connections: FakeConnection[] = [];
  const sockets = new Set<net.Socket>();
  const arrivals: (() => void)[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const connection = wrap(socket);
    const index = connections.length;
    connection.waitFor(isConnect, 60_000).then(
      (connect) => {
        connection.version = (connect as { protocolVersion: ProtocolVersion }).protocolVersion;
        const answer = script.connack?.(index) ?? {};
        connection.send({
          type: PacketType.Connack,
          sessionPresent: false,
          reasonCode: 0,
          properties: {} as Properties,
          ...answer,
        });
        connections.push(connection);
        for (const wake of arrivals.splice(0)) wake();
      },
      () => {},
    );
    if (script.onPacket) {
      const onPacket = script.onPacket;
      connection.listeners.push((packet) => {
        if (!isConnect(packet)) onPacket(packet, connection);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    async connection(index, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!connections[index]) {
        if (Date.now() > deadline) throw new Error(`no connection #${index} within ${ms} ms`);
        await new Promise<void>((resolve) => {
          arrivals.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return connections[index]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

type Wrapped = FakeConnection & { listeners: ((packet: Packet) => void)[] };

function wrap(socket: net.Socket): Wrapped {
  const decoder = new PacketDecoder();
  const connection: Wrapped = {
    packets: [],
    version: 5,
    listeners: [],
    send(packet) {
      if (!socket.destroyed) socket.write(encode(packet, connection.version));
    },
    waitFor(test: (packet: Packet) => boolean, ms = 5_000): Promise<never> {
      const found = connection.packets.find(test);
      if (found) return Promise.resolve(found as never);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('fake broker: packet not received')), ms);
        const listener = (packet: Packet) => {
          if (!test(packet)) return;
          clearTimeout(timer);
          connection.listeners.splice(connection.listeners.indexOf(listener), 1);
          resolve(packet as never);
        };
        connection.listeners.push(listener);
      });
    },
    destroy: () => socket.destroy(),
  };
  socket.on('data', (chunk) => {
    decoder.push(chunk);
    for (let packet = decoder.next(); packet; packet = decoder.next()) {
      connection.packets.push(packet);
      for (const listener of connection.listeners.slice()) listener(packet);
    }
  });
  return connection;
}
