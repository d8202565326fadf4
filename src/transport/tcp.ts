// MQTT over TCP (and TLS, which differs only in how the server is made).
import { createServer, type Server, type Socket } from 'node:net';
import type { TransportInfo } from '../broker/connection.js';
import type { Broker } from '../broker/broker.js';

export interface Listening {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export function listenTcp(broker: Broker, port: number, host: string): Promise<Listening> {
  const server = createServer({ noDelay: true }, (socket) => acceptSocket(broker, socket, 'tcp'));
  return startListening(server, port, host);
}

export function acceptSocket(
  broker: Broker,
  socket: Socket,
  transport: TransportInfo['transport'],
  certificate?: TransportInfo['certificate'],
): void {
  // Latency over Nagle: PUBLISHes are already batched per tick (see OutputBuffer).
  socket.setNoDelay(true);
  broker.accept(socket, {
    transport,
    remoteAddress: socket.remoteAddress ?? 'unknown',
    remotePort: socket.remotePort,
    certificate,
  });
}

export function startListening(server: Server, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: actual,
        host,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
