// Servers for npm run bench:client, each on a free loopback port and pinned to CPU 0 when
// taskset exists (the clients run on CPU 1): the Culex broker, Mosquitto, and a "sink"
// that acknowledges and does nothing else. Each is stopped by its own PID.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';

export interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
}

export const canPin = spawnSync('taskset', ['-V']).status === 0;
export const PIN_BROKER = canPin ? ['taskset', '-c', '0'] : [];

/** Moves this process (all its threads) to `cpu`, so the clients never share the broker's. */
export function pinSelf(cpu: number): void {
  if (canPin) spawnSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)]);
}

function spawnPinned(argv: string[]): ChildProcess {
  const command = [...PIN_BROKER, ...argv];
  return spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
}

export async function startCulexTarget(): Promise<Target> {
  const port = await freePort();
  const { child } = await startCulex(culexArgs(port, ['--store', 'memory']), PIN_BROKER);
  return { name: 'culex', url: `mqtt://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

export async function startMosquittoTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-bench-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  // As ../shared/bench/brokers/mosquitto.conf, on a port of our own.
  const lines = [
    'per_listener_settings false',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_queued_messages 0',
    'log_dest stderr',
    'log_type error',
  ];
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawnPinned(['/usr/sbin/mosquitto', '-c', config]);
  await waitForPort(port);
  return {
    name: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sink runs in a child process of this same script: `client.js --sink PORT`. */
export async function startSinkTarget(): Promise<Target> {
  const port = await freePort();
  const child = spawnPinned([process.execPath, process.argv[1]!, '--sink', String(port)]);
  await waitForPort(port);
  return { name: 'sink', url: `mqtt://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/**
 * A minimal MQTT server that accepts everything and does nothing else (CONNACK, PUBACK for
 * QoS 1, PINGRESP; no routing). Unlike a real broker it never becomes the bottleneck.
 * Frames are found by their fixed header only; packets are never decoded.
 */
export function runSink(port: number): void {
  const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
  const PINGRESP = Buffer.from([0xd0, 0x00]);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const acks: number[] = [];
      let pos = 0;
      for (;;) {
        const frame = readFrame(data, pos);
        if (frame === undefined) break;
        const type = data[pos]! >> 4;
        if (type === 1) socket.write(CONNACK);
        else if (type === 12) socket.write(PINGRESP);
        else if (type === 3 && (data[pos]! & 0x06) === 0x02) {
          // QoS 1 PUBLISH: the packet identifier follows the topic name.
          const topicLength = data.readUInt16BE(frame.body);
          acks.push(data.readUInt16BE(frame.body + 2 + topicLength));
        } else if (type === 14) socket.end();
        pos = frame.end;
      }
      pending = pos < data.length ? Buffer.from(data.subarray(pos)) : Buffer.alloc(0);
      if (acks.length > 0) {
        const out = Buffer.allocUnsafe(acks.length * 4);
        for (let i = 0; i < acks.length; i++) out.writeUInt32BE(0x40020000 | acks[i]!, i * 4);
        socket.write(out);
      }
    });
    socket.on('error', () => {});
  });
  server.listen(port, '127.0.0.1');
}

/** The body offset and end of the frame at `pos`, or undefined when it is incomplete. */
function readFrame(data: Buffer, pos: number): { body: number; end: number } | undefined {
  let length = 0;
  let shift = 0;
  for (let i = pos + 1; i < data.length && i < pos + 5; i++) {
    const byte = data[i]!;
    length |= (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      const end = i + 1 + length;
      return end <= data.length ? { body: i + 1, end } : undefined;
    }
  }
  return undefined;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not open`);
}
