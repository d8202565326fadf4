// One load process of `npm run bench:million`: opens `count` MQTT 3.1.1 connections from one
// source address (127.0.0.x), each subscribed (QoS 0) to its own topic m/<loader>/<i>, and
// holds them. Raw sockets and hand-made packets: a client library per connection would cost
// more memory than the broker side being measured. Talks to bench/million.ts over IPC:
// progress every second, a sample of subscribed topics on request, and the topics that arrive.
import { connect, type Socket } from 'node:net';

const [host, portText, source, loaderText, countText, inProgressText] = process.argv.slice(2);
const port = Number(portText);
const loader = Number(loaderText);
const count = Number(countText);
/** CONNECTs in flight at once: bench/million.ts shares its budget among the loaders still opening. */
let maxInProgress = Number(inProgressText ?? 100);

/** Per connection: 0 opening, 1 connected, 2 subscribed, 3 gone. */
const state = new Uint8Array(count);
const sockets: (Socket | undefined)[] = new Array(count);
let next = 0;
let inProgress = 0;
let connected = 0;
let subscribedCount = 0;
let failed = 0;
let lastError = '';

const topicOf = (i: number) => `m/${loader}/${i}`;

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** Fixed header with a remaining length under 128 (every packet here is short). */
const packet = (type: number, body: Buffer) =>
  Buffer.concat([Buffer.from([type, body.length]), body]);

function connectPacket(i: number): Buffer {
  // MQTT 3.1.1, Clean Session, Keep Alive 0 (no PINGREQ traffic while held).
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0]);
  return packet(0x10, Buffer.concat([header, utf8(`m${loader}-${i}`)]));
}

function subscribePacket(i: number): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(topicOf(i)), Buffer.from([0])]));
}

/** Reads whole packets from `input`; returns the bytes left over. */
function read(i: number, input: Buffer): Buffer {
  let at = 0;
  while (input.length - at >= 2) {
    let length = 0;
    let shift = 0;
    let p = at + 1;
    for (; p < input.length; p++) {
      length |= (input[p]! & 0x7f) << shift;
      shift += 7;
      if (input[p]! < 0x80) break;
    }
    if (p >= input.length || p + 1 + length > input.length) break;
    const body = input.subarray(p + 1, p + 1 + length);
    handle(i, input[at]! >> 4, body);
    at = p + 1 + length;
  }
  return at === 0 ? input : input.subarray(at);
}

function handle(i: number, type: number, body: Buffer): void {
  if (type === 2) {
    if (body[1] !== 0) {
      fail(i, `CONNACK return code ${body[1]}`);
      return;
    }
    connected++;
    inProgress--;
    state[i] = 1;
    sockets[i]!.write(subscribePacket(i));
    openMore();
  } else if (type === 9) {
    if (body[2] === 0x80) {
      fail(i, 'SUBACK failure');
      return;
    }
    state[i] = 2;
    subscribedCount++;
  } else if (type === 3) {
    const length = body.readUInt16BE(0);
    process.send!({ got: body.subarray(2, 2 + length).toString() });
  }
}

function fail(i: number, reason: string): void {
  if (state[i] === 3) return;
  if (state[i] === 0) inProgress--;
  if (state[i] !== 0) connected--;
  if (state[i] === 2) subscribedCount--;
  state[i] = 3;
  failed++;
  lastError = reason;
  sockets[i]?.destroy();
  sockets[i] = undefined;
  openMore();
}

/** Local ports 1024-65535, taken in turn: see open(). */
const LOCAL_PORTS = 64_512;
let nextLocalPort = 0;

/**
 * Opens connection i from `source`, on a local port chosen here: letting the kernel pick one
 * for a bound source address scans the ports in use on it (and those in TIME_WAIT from an
 * earlier run), which made the load generator, not the broker, the bottleneck past ~10,000
 * connections (its CPU was almost all system time). A port still in use fails at once with
 * EADDRINUSE, and the next one is tried.
 */
function open(i: number, tries = 0): void {
  if (tries === 0) inProgress++;
  const localPort = 1024 + (nextLocalPort++ % LOCAL_PORTS);
  const socket = connect({ host, port, localAddress: source, localPort, noDelay: true });
  sockets[i] = socket;
  let pending: Buffer | undefined;
  let opened = false;
  socket.once('connect', () => {
    opened = true;
    socket.write(connectPacket(i));
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (opened || error.code !== 'EADDRINUSE' || tries >= 100) {
      fail(i, error.message);
      return;
    }
    socket.removeAllListeners('close');
    open(i, tries + 1);
  });
  socket.on('data', (chunk: Buffer) => {
    pending = read(i, pending ? Buffer.concat([pending, chunk]) : chunk);
    if (pending.length === 0) pending = undefined;
  });
  socket.on('close', () => fail(i, 'closed by the broker'));
}

function openMore(): void {
  while (inProgress < maxInProgress && next < count) open(next++);
}

/** Up to `size` random subscribed topics. */
function sample(size: number): string[] {
  const topics = new Set<string>();
  for (let tries = 0; topics.size < Math.min(size, subscribedCount) && tries < size * 20; tries++) {
    const i = Math.floor(Math.random() * count);
    if (state[i] === 2) topics.add(topicOf(i));
  }
  return [...topics];
}

process.on('message', (message: { sample?: number; inProgress?: number }) => {
  if (message.sample !== undefined) process.send!({ sampled: sample(message.sample) });
  if (message.inProgress !== undefined) {
    maxInProgress = message.inProgress;
    openMore();
  }
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  const memory = process.memoryUsage().rss;
  const opening = next < count || inProgress > 0;
  process.send!({
    connected,
    subscribed: subscribedCount,
    failed,
    lastError,
    rss: memory,
    opening,
  });
}, 1_000);
openMore();
