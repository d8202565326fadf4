// A measuring subscriber in a process of its own, for bench/mqtt-egress.ts: MQTT 3.1.1 over a
// raw socket, QoS 0, counting PUBLISH frames without decoding them (so it keeps up with far
// more than the senders it measures). Prints `ready` after SUBACK, then `<count> <Date.now()
// of the last arrival>` every 20 ms while the count moves.
// Usage: node dist/bench/count-subscriber.js PORT TOPIC-FILTER
import net from 'node:net';
import { PacketType } from '../src/protocol/constants.js';
import { connectBytes, subscribeBytes } from './qos0-load.js';

const [port, filter] = process.argv.slice(2);
const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
let pending = Buffer.alloc(0);
let count = 0;
let lastAt = 0;
let reported = 0;

socket.on('connect', () =>
  socket.write(Buffer.concat([connectBytes(`count-${process.pid}`), subscribeBytes(filter!)])),
);
socket.on('data', (chunk: Buffer) => {
  const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
  let pos = 0;
  for (;;) {
    let length = 0;
    let multiplier = 1;
    let at = pos + 1;
    let complete = false;
    while (at < buf.length) {
      const b = buf[at++]!;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if (b < 0x80) {
        complete = true;
        break;
      }
    }
    if (!complete || at + length > buf.length) break;
    const type = buf[pos]! >> 4;
    if (type === PacketType.Publish) count++;
    else if (type === PacketType.Suback) process.stdout.write('ready\n');
    pos = at + length;
  }
  pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  lastAt = Date.now();
});
socket.on('error', (error) => {
  console.error(`count-subscriber: ${error.message}`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
setInterval(() => {
  if (count === reported) return;
  reported = count;
  process.stdout.write(`${count} ${lastAt}\n`);
}, 20);
