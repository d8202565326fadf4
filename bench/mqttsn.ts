// `npm run bench:mqttsn`: QoS 0 and QoS 1 messages per second from many simulated devices over
// MQTT-SN/UDP through the gateway, and the same load over MQTT/TCP, side by side in one run.
//
// One `culex start` (memory store; a TCP and an mqttsn listener, no datagram rate limit) on
// CPU 0; the devices and one MQTT 5.0 subscriber (the Culex client, over TCP, on `bench/#`)
// in this process on CPU 1. Each device publishes 64-byte messages on a topic of its own,
// from a socket of its own (UDP or TCP), with no client library: each message is encoded
// once and sent again with its MsgId / Packet Identifier patched, so what differs between the
// two is the broker's path (the gateway's translation against MQTT over TCP).
// QoS 1: each device keeps one message in flight (the next after the PUBACK). QoS 0: the
// devices together keep at most a window of messages sent but not yet received by the subscriber,
// so neither transport is measured by how much the kernel drops. Rate = messages the
// subscriber received per second. Prints a table, then one JSON line with the ratios
// (MQTT-SN msg/s ÷ MQTT msg/s).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket, type Socket } from 'node:dgram';
import { connect as netConnect } from 'node:net';
import { connect, type MqttClient } from '../src/client/index.js';
import { encode, PacketType, publishPacketIdOffset } from '../src/protocol/index.js';
import { decodeSn, encodeSn, SnMsgType as M, type SnPacket } from '../src/mqttsn/index.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';
import { PIN_BROKER, pinSelf } from './client-targets.js';
import { connectBytes, median, PAYLOAD_BYTES, parseArgs } from './qos0-load.js';

const args = parseArgs(process.argv);
const DEVICES = Number(args.get('--devices') ?? 100);
const SECONDS = Number(args.get('--seconds') ?? 5);
/** Rounds of every scenario, the transports alternating; the median of each is shown. */
const RUNS = Number(args.get('--runs') ?? 3);
// QoS 0 runs twice: with a window the kernel's UDP receive buffer holds (a larger burst is
// dropped by the kernel before the gateway sees it: counted as lost), and with a window TCP
// needs to batch well.
const WINDOWS = (args.get('--windows') ?? '200,2000').split(',').map(Number);
const PAYLOAD = Buffer.alloc(PAYLOAD_BYTES, 0x61);

/** One simulated device: publishes on its topic, resolves QoS 1 at the acknowledgement. */
interface Device {
  publish(qos: 0 | 1): Promise<unknown> | undefined;
  close(): Promise<void>;
}

interface Result {
  transport: string;
  qos: 0 | 1;
  /** QoS 0: messages in flight at most; QoS 1: one per device. */
  window: number;
  rate: number;
  lost: number;
}

/** Waits for the next datagram on a device's socket. */
function nextDatagram(socket: Socket): Promise<SnPacket> {
  return new Promise((resolve) => socket.once('message', (d) => resolve(decodeSn(d))));
}

/**
 * MQTT-SN devices as lean as the TCP ones: a connected UDP socket each, CONNECT and REGISTER,
 * then one PUBLISH datagram encoded once and sent again with its MsgId patched.
 */
async function snDevices(port: number): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.connect(port, '127.0.0.1', () => r()));
    const clientId = `sn-${i}`;
    socket.send(
      encodeSn({
        type: M.Connect,
        will: false,
        cleanSession: true,
        protocolId: 1,
        duration: 0,
        clientId,
      }),
    );
    await nextDatagram(socket);
    socket.send(encodeSn({ type: M.Register, topicId: 0, msgId: 1, topicName: `bench/sn/${i}` }));
    const regack = await nextDatagram(socket);
    const topicId = regack.type === M.Regack ? regack.topicId : 0;
    const datagrams = [0, 1].map((qos) =>
      encodeSn({
        type: M.Publish,
        dup: false,
        qos: qos as 0 | 1,
        retain: false,
        topicIdType: 0,
        topicId,
        msgId: 0,
        data: PAYLOAD,
      }),
    );
    let acked: (() => void) | undefined;
    socket.on('message', () => acked?.());
    let msgId = 0;
    devices.push({
      publish: (qos) => {
        const datagram = datagrams[qos]!;
        if (qos === 0) {
          socket.send(datagram);
          return undefined;
        }
        msgId = (msgId % 0xffff) + 1;
        datagram.writeUInt16BE(msgId, 5);
        socket.send(datagram);
        return new Promise<void>((r) => (acked = r));
      },
      close: async () => {
        socket.send(encodeSn({ type: M.Disconnect }));
        socket.close();
      },
    });
  }
  return devices;
}

/** MQTT 3.1.1 devices over TCP, driven the same way: encoded once, Packet Identifier patched. */
async function tcpDevices(port: number): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const socket = netConnect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const clientId = `tcp-${i}`;
    const connack = new Promise((r) => socket.once('data', r));
    socket.write(connectBytes(clientId));
    await connack;
    const packets = [0, 1].map((qos) =>
      encode(
        {
          type: PacketType.Publish,
          topic: `bench/tcp/${i}`,
          payload: PAYLOAD,
          qos: qos as 0 | 1,
          retain: false,
          dup: false,
          packetId: qos === 1 ? 1 : undefined,
          properties: {},
        },
        4,
      ),
    );
    const packetIdAt = publishPacketIdOffset(packets[1]!);
    let acked: (() => void) | undefined;
    socket.on('data', () => acked?.());
    let packetId = 0;
    devices.push({
      publish: (qos) => {
        if (qos === 0) {
          socket.write(packets[0]!);
          return undefined;
        }
        packetId = (packetId % 0xffff) + 1;
        // A new buffer each time: the socket may still hold the previous one.
        const packet = Buffer.from(packets[1]!);
        packet.writeUInt16BE(packetId, packetIdAt);
        socket.write(packet);
        return new Promise<void>((r) => (acked = r));
      },
      close: async () => {
        socket.end(encode({ type: PacketType.Disconnect, reasonCode: 0, properties: {} }, 4));
      },
    });
  }
  return devices;
}

/** Runs one load for SECONDS; the subscriber's count is the measure. */
async function run(
  devices: Device[],
  subscriber: Counter,
  qos: 0 | 1,
  window: number,
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
      } else if (sent - (subscriber.count - start) < window) {
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
      ['mqtt/tcp', await tcpDevices(port)],
    ];
    const scenarios = [
      ...WINDOWS.map((window) => ({ qos: 0 as const, window })),
      { qos: 1 as const, window: DEVICES },
    ];
    for (let round = 0; round < RUNS; round++)
      for (const { qos, window } of scenarios)
        for (const [transport, devices] of fleets) {
          const { rate, lost } = await run(devices, counter, qos, window);
          results.push({ transport, qos, window, rate, lost });
        }
    for (const [, devices] of fleets) await Promise.all(devices.map((d) => d.close()));
    await sub.end();
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
  report(medians(results));
}

/** One result per (transport, QoS, window): the median rate of the rounds, losses summed. */
function medians(results: Result[]): Result[] {
  const groups = new Map<string, Result[]>();
  for (const r of results) {
    const key = `${r.transport} ${r.qos} ${r.window}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const lost = group.reduce((sum, r) => sum + r.lost, 0);
    return { ...group[0]!, rate: median(group.map((r) => r.rate)), lost };
  });
}

function report(results: Result[]): void {
  console.log(
    `${DEVICES} devices, median of ${RUNS} runs of ${SECONDS} s, ${PAYLOAD_BYTES}-byte payloads, subscriber over TCP`,
  );
  console.log('qos  window  mqtt-sn/udp msg/s  mqtt/tcp msg/s  ratio  lost (sn / tcp)');
  const ratios: Record<string, number> = {};
  for (const sn of results.filter((r) => r.transport === 'mqtt-sn/udp')) {
    const tcp = results.find(
      (r) => r.transport === 'mqtt/tcp' && r.qos === sn.qos && r.window === sn.window,
    )!;
    const ratio = sn.rate / tcp.rate;
    ratios[sn.qos === 1 ? 'qos1Ratio' : `qos0Window${sn.window}Ratio`] = Number(ratio.toFixed(3));
    console.log(
      `${String(sn.qos).padEnd(4)} ${String(sn.window).padStart(6)} ${sn.rate.toFixed(0).padStart(18)} ${tcp.rate.toFixed(0).padStart(15)} ${ratio.toFixed(2).padStart(6)}  ${sn.lost} / ${tcp.lost}`,
    );
  }
  console.log(
    JSON.stringify({ devices: DEVICES, seconds: SECONDS, runs: RUNS, results, ...ratios }),
  );
}

await main();
