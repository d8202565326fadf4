// `npm run bench:mqttsn`: QoS 0 and QoS 1 messages per second from many simulated devices over
// MQTT-SN/UDP through the gateway, and the same load over MQTT/TCP, side by side in one run.
//
// One `culex start` (memory store; a TCP and an mqttsn listener, no datagram rate limit) on
// CPU 0; the devices and one MQTT 5.0 subscriber (the Culex client, over TCP, on `bench/#`)
// in this process on CPU 1. Each device publishes 64-byte messages on a topic of its own.
// QoS 1: each device keeps one message in flight (the next after the PUBACK). QoS 0: the
// devices together keep at most WINDOW messages sent but not yet received by the subscriber,
// so neither transport is measured by how much the kernel drops. Rate = messages the
// subscriber received per second. Prints a table, then one JSON line with the ratios
// (MQTT-SN msg/s ÷ MQTT msg/s).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MqttSnClient } from '../src/client/mqttsn.js';
import { connect, type MqttClient } from '../src/client/index.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';
import { PIN_BROKER, pinSelf } from './client-targets.js';
import { PAYLOAD_BYTES, parseArgs } from './qos0-load.js';

const args = parseArgs(process.argv);
const DEVICES = Number(args.get('--devices') ?? 100);
const SECONDS = Number(args.get('--seconds') ?? 5);
const WINDOW = Number(args.get('--window') ?? 2000);
const PAYLOAD = Buffer.alloc(PAYLOAD_BYTES, 0x61);

/** One simulated device: publishes on its topic, resolves QoS 1 at the acknowledgement. */
interface Device {
  publish(qos: 0 | 1): Promise<unknown> | undefined;
  close(): Promise<void>;
}

interface Result {
  transport: string;
  qos: 0 | 1;
  rate: number;
  lost: number;
}

async function snDevices(port: number): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const client = await MqttSnClient.connect({
      host: '127.0.0.1',
      port,
      clientId: `sn-${i}`,
      keepAlive: 0,
    });
    const topic = `bench/sn/${i}`;
    await client.register(topic);
    devices.push({
      publish: (qos) => {
        const sent = client.publish(topic, PAYLOAD, { qos });
        return qos === 1 ? sent : undefined;
      },
      close: () => client.disconnect(),
    });
  }
  return devices;
}

async function tcpDevices(url: string): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const client = await connect(url, { clientId: `tcp-${i}`, keepAlive: 0 });
    const topic = `bench/tcp/${i}`;
    devices.push({
      publish: (qos) => {
        const sent = client.publish(topic, PAYLOAD, { qos });
        return qos === 1 ? sent : undefined;
      },
      close: () => client.end(),
    });
  }
  return devices;
}

/** Runs one load for SECONDS; the subscriber's count is the measure. */
async function run(
  devices: Device[],
  subscriber: Counter,
  qos: 0 | 1,
): Promise<{ rate: number; lost: number }> {
  let sent = 0;
  let running = true;
  const start = subscriber.count;
  const t0 = performance.now();
  const loops = devices.map(async (device) => {
    while (running) {
      if (qos === 1) {
        sent++;
        await device.publish(1);
      } else if (sent - (subscriber.count - start) < WINDOW) {
        sent++;
        device.publish(0);
        await new Promise((r) => setImmediate(r));
      } else {
        await subscriber.progress();
      }
    }
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const received = subscriber.count - start;
  const seconds = (performance.now() - t0) / 1000;
  running = false;
  subscriber.wake();
  await Promise.all(loops);
  // Let what is still on its way arrive before counting losses.
  await new Promise((r) => setTimeout(r, 500));
  return { rate: received / seconds, lost: Math.max(0, sent - (subscriber.count - start)) };
}

class Counter {
  count = 0;
  private waiters: (() => void)[] = [];
  constructor(client: MqttClient) {
    client.on('message', () => {
      this.count++;
      if (this.waiters.length > 0 && this.count % 64 === 0) this.wake();
    });
  }
  progress(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

async function main(): Promise<void> {
  pinSelf(1);
  const dir = mkdtempSync(join(tmpdir(), 'culex-bench-sn-'));
  const [port, snPort] = [await freePort(), await freePort()];
  const config = join(dir, 'culex.yaml');
  writeFileSync(
    config,
    `listeners:\n  - { type: tcp, port: ${port}, host: 127.0.0.1 }\n` +
      `  - { type: mqttsn, port: ${snPort}, host: 127.0.0.1, datagramRate: 0, maxSleepBuffer: 1000 }\n`,
  );
  const { child } = await startCulex(
    culexArgs(port, ['--store', 'memory', '--config', config]),
    PIN_BROKER,
  );
  const url = `mqtt://127.0.0.1:${port}`;
  const results: Result[] = [];
  try {
    const sub = await connect(url, { clientId: 'bench-sub', keepAlive: 0 });
    await sub.subscribe('bench/#', { qos: 1 });
    const counter = new Counter(sub);
    const fleets: [string, Device[]][] = [
      ['mqtt-sn/udp', await snDevices(snPort)],
      ['mqtt/tcp', await tcpDevices(url)],
    ];
    for (const qos of [0, 1] as const)
      for (const [transport, devices] of fleets) {
        const { rate, lost } = await run(devices, counter, qos);
        results.push({ transport, qos, rate, lost });
      }
    for (const [, devices] of fleets) await Promise.all(devices.map((d) => d.close()));
    await sub.end();
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

function report(results: Result[]): void {
  const rate = (transport: string, qos: number) =>
    results.find((r) => r.transport === transport && r.qos === qos)!;
  console.log(`${DEVICES} devices, ${SECONDS} s per run, 64-byte payloads, subscriber over TCP`);
  console.log('qos  mqtt-sn/udp msg/s  mqtt/tcp msg/s  ratio  lost (sn / tcp)');
  const ratios: Record<string, number> = {};
  for (const qos of [0, 1]) {
    const sn = rate('mqtt-sn/udp', qos);
    const tcp = rate('mqtt/tcp', qos);
    ratios[`qos${qos}Ratio`] = Number((sn.rate / tcp.rate).toFixed(3));
    console.log(
      `${String(qos).padEnd(4)} ${sn.rate.toFixed(0).padStart(17)} ${tcp.rate.toFixed(0).padStart(15)} ${(sn.rate / tcp.rate).toFixed(2).padStart(6)}  ${sn.lost} / ${tcp.lost}`,
    );
  }
  console.log(JSON.stringify({ devices: DEVICES, seconds: SECONDS, results, ...ratios }));
}

await main();
