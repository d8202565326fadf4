// The closed-loop QoS 0 load shared by npm run bench:tls and bench:ws: publishers that keep at
// most `window` messages sent but not yet seen by the subscribers and refill in batches, and a
// reader that credits each message to its publisher. Packets come from the codec's encode: one
// PUBLISH per publisher, copied into batches with the sequence number patched in.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encode, PacketType } from '../src/protocol/index.js';

export const PAYLOAD_BYTES = 64;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Command-line options as `--name value` pairs. */
export function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 2; i < argv.length; i += 2) args.set(argv[i]!, argv[i + 1] ?? '');
  return args;
}

/** --duration S, --warmup S (1), --reps N, --window N (1000), --publishers N (10). */
export function loadOptions(
  args: Map<string, string>,
  defaults: { duration: number; reps: number },
) {
  const number = (name: string, fallback: number) => Number(args.get(name) ?? fallback);
  const window = number('--window', 1_000);
  return {
    duration: number('--duration', defaults.duration),
    warmup: number('--warmup', 1),
    reps: number('--reps', defaults.reps),
    window,
    refill: Math.max(1, Math.floor(window / 4)),
    publishers: number('--publishers', 10),
  };
}

export async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`broker did not listen on ${port}`);
    await sleep(100);
  }
}

/** Broker CPU time (user + system), seconds, from /proc; undefined elsewhere. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const percent = (share: number | undefined) =>
  share === undefined ? 'n/a' : `${(share * 100).toFixed(0)} %`;

/** MQTT 3.1.1 CONNECT, clean session. */
export const connectBytes = (clientId: string) =>
  encode(
    {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepAlive: 60,
      clientId,
      properties: {},
    },
    4,
  );

/** MQTT 3.1.1 SUBSCRIBE to one filter at QoS 0. */
export const subscribeBytes = (topicFilter: string) =>
  encode(
    {
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [
        { topicFilter, qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
      properties: {},
    },
    4,
  );

export interface Template {
  bytes: Buffer;
  seqAt: number;
}

/** A publisher's PUBLISH template; the payload starts with its index and a sequence number. */
export function template(topic: string, index: number): Template {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  payload.writeUInt32BE(index, 0);
  const bytes = Buffer.from(
    encode(
      {
        type: PacketType.Publish,
        topic,
        payload,
        qos: 0,
        retain: false,
        dup: false,
        properties: {},
      },
      4,
    ),
  );
  return { bytes, seqAt: bytes.length - PAYLOAD_BYTES + 4 };
}

export interface Publisher {
  /** Sends bytes of whole packets; false when the socket is backed up. */
  send(batch: Buffer): boolean;
  /** The socket whose 'drain' ends a backup. */
  socket: net.Socket;
  template: Template;
  sent: number;
  /** Deliveries credited to this publisher (one per subscriber reached). */
  received: number;
  /** Subscribers each message reaches. */
  fanout: number;
  blocked: boolean;
}

export interface Window {
  size: number;
  refill: number;
  running(): boolean;
}

/** Sends what the end-to-end window allows, in one write. */
export function refill(p: Publisher, window: Window): void {
  if (!window.running() || p.blocked) return;
  const seen = Math.floor(p.received / p.fanout);
  const room = window.size - (p.sent - seen);
  if (room < window.refill && p.sent !== seen) return;
  const { bytes, seqAt } = p.template;
  const batch = Buffer.allocUnsafe(bytes.length * room);
  for (let i = 0; i < room; i++) {
    const at = i * bytes.length;
    bytes.copy(batch, at);
    batch.writeUInt32BE((p.sent + i) >>> 0, at + seqAt);
  }
  p.sent += room;
  if (!p.send(batch)) {
    p.blocked = true;
    p.socket.once('drain', () => {
      p.blocked = false;
      refill(p, window);
    });
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads PUBLISH packets off a subscriber's byte stream and credits their publishers: `read`
 * takes any chunk of the stream; `readPackets` takes buf[start, end) and returns where the
 * first incomplete packet starts (end when there is none), for input of whole packets.
 */
export function subscriberReader(publishers: Publisher[], onCredit: (p: Publisher) => void) {
  let pending: Buffer = EMPTY;
  let total = 0;
  const readPackets = (buf: Buffer, start: number, end: number): number => {
    let pos = start;
    while (pos + 2 <= end) {
      let length = 0;
      let multiplier = 1;
      let at = pos + 1;
      for (;;) {
        if (at >= end) break;
        const b = buf[at++]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if (b < 0x80) break;
      }
      const next = at + length;
      if (at >= end || next > end) break;
      if (buf[pos]! >> 4 === PacketType.Publish) {
        const topicLength = buf.readUInt16BE(at);
        const index = buf.readUInt32BE(at + 2 + topicLength);
        const publisher = publishers[index];
        if (publisher !== undefined) {
          publisher.received++;
          total++;
          onCredit(publisher);
        }
      }
      pos = next;
    }
    return pos;
  };
  const read = (chunk: Buffer) => {
    const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    const pos = readPackets(buf, 0, buf.length);
    pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : EMPTY;
  };
  return { read, readPackets, total: () => total };
}

export interface Measured {
  messages: number;
  seconds: number;
  rate: number;
  brokerCpu: number | undefined;
  loadCpu: number;
}

/** Lets the load warm up, then counts deliveries and CPU shares over `durationS`. */
export async function measure(
  total: () => number,
  brokerPid: number,
  warmupS: number,
  durationS: number,
): Promise<Measured> {
  await sleep(warmupS * 1000);
  const before = total();
  const brokerBefore = cpuSeconds(brokerPid);
  const loadBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await sleep(durationS * 1000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const messages = total() - before;
  const brokerAfter = cpuSeconds(brokerPid);
  const load = process.cpuUsage(loadBefore);
  return {
    messages,
    seconds,
    rate: messages / seconds,
    brokerCpu:
      brokerBefore === undefined || brokerAfter === undefined
        ? undefined
        : (brokerAfter - brokerBefore) / seconds,
    loadCpu: (load.user + load.system) / 1e6 / seconds,
  };
}

/** Waits (up to 5 s) for the deliveries still in flight; returns how many never came. */
export async function settle(publishers: Publisher[]): Promise<number> {
  const missing = () => publishers.reduce((n, p) => n + p.sent * p.fanout - p.received, 0);
  const deadline = Date.now() + 5_000;
  while (missing() > 0 && Date.now() < deadline) await sleep(50);
  return missing();
}

/**
 * QoS 0 fan-in over sockets already connected (and the subscriber subscribed): publisher i
 * sends to topics[i], the subscriber's deliveries credit them. Measures, lets what is in
 * flight arrive, closes every socket; `lost` counts deliveries that never came.
 */
export async function fanInOverSockets(
  subscriber: net.Socket,
  sockets: net.Socket[],
  topics: string[],
  brokerPid: number,
  options: ReturnType<typeof loadOptions>,
): Promise<Measured & { lost: number }> {
  const publishers: Publisher[] = sockets.map((socket, i) => ({
    send: (batch) => socket.write(batch),
    socket,
    template: template(topics[i]!, i),
    sent: 0,
    received: 0,
    fanout: 1,
    blocked: false,
  }));
  let running = true;
  const window = { size: options.window, refill: options.refill, running: () => running };
  const reader = subscriberReader(publishers, (p) => refill(p, window));
  subscriber.on('data', reader.read);
  for (const p of publishers) refill(p, window);
  const measured = await measure(reader.total, brokerPid, options.warmup, options.duration);
  running = false;
  const lost = await settle(publishers);
  for (const s of [subscriber, ...sockets]) s.destroy();
  return { ...measured, lost };
}
