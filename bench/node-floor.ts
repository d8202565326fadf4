// The floor for connections per second in Node.js: a bare `net` server (TCP_NODELAY, like
// Culex) that answers a client's first bytes with a constant CONNACK and keeps the socket.
// No MQTT beyond that: `npm run bench` runs it for the `conns` scenario only, so the table
// shows how much of a connection's cost is Node's socket layer and the kernel, not Culex.
// Usage: node dist/bench/node-floor.js PORT
import { createServer, type Socket } from 'node:net';

const CONNACK_311 = Buffer.from([0x20, 2, 0, 0]);
// 5.0: flags, reason code Success, no properties.
const CONNACK_5 = Buffer.from([0x20, 3, 0, 0, 0]);
/** The protocol level byte of a CONNECT whose Remaining Length fits one byte. */
const LEVEL_OFFSET = 8;

const sockets = new Set<Socket>();

function onFirstData(this: Socket, chunk: Buffer): void {
  this.write(chunk[LEVEL_OFFSET] === 5 ? CONNACK_5 : CONNACK_311);
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node-floor PORT');
  process.exit(2);
}
createServer({ noDelay: true }, (socket) => {
  // Read the peer address as Culex does (one getpeername per connection).
  void socket.remoteAddress;
  sockets.add(socket);
  socket.once('data', onFirstData);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
}).listen(port, '127.0.0.1');
