// npm run bench:client: publish throughput of the Culex client vs MQTT.js against the same
// broker, QoS 0 and QoS 1, 64-byte payloads, MQTT 3.1.1, one connection each.
//
// Each run publishes N messages as fast as the client allows and is timed until the broker
// has them all: for QoS 1 until the last PUBACK, for QoS 0 until the PUBACK of one QoS 1
// marker sent after them (the broker handles a connection's packets in order). Both
// clients are driven the same way: QoS 0 waits on its library's completion signal every
// WINDOW messages (backpressure), QoS 1 keeps WINDOW messages in flight.
//
// The broker is a Mosquitto started here on a free port (pinned to CPU 0 when taskset
// exists), or --url mqtt://127.0.0.1:PORT. Prints a table, then one JSON line last:
// {"qos0Ratio": x, "qos1Ratio": y} (Culex msg/s ÷ MQTT.js msg/s, medians of the runs).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { connect } from '../src/client/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!, process.argv[i + 1] ?? '');
const QOS0_MESSAGES = Number(args.get('--qos0') ?? 300_000);
const QOS1_MESSAGES = Number(args.get('--qos1') ?? 100_000);
const RUNS = Number(args.get('--runs') ?? 3);
const WINDOW = Number(args.get('--window') ?? 1_000);
const PAYLOAD = Buffer.alloc(64, 0x61);
const TOPIC = `bench/client/${process.pid}`;

interface Driver {
  /** Publishes; calls `done` when the library reports the message complete, if given. */
  publish(qos: 0 | 1, done?: (error?: Error) => void): void;
  close(): Promise<void>;
}

async function culexDriver(url: string): Promise<Driver> {
  const client = await connect(url, { protocolVersion: 4, reconnect: false, keepAlive: 60 });
  return {
    publish: (qos, done) => {
      const published = client.publish(TOPIC, PAYLOAD, { qos });
      if (done) published.then(() => done(), done);
    },
    close: () => client.end({ force: true }),
  };
}

async function mqttjsDriver(url: string): Promise<Driver> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    keepalive: 60,
  });
  return {
    publish: (qos, done) => {
      if (done) client.publish(TOPIC, PAYLOAD, { qos }, (error) => done(error ?? undefined));
      else client.publish(TOPIC, PAYLOAD, { qos });
    },
    close: () => client.endAsync(true),
  };
}

/** QoS 0: every WINDOW messages, wait until the library reports that message done. */
function runQoS0(driver: Driver, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const burst = () => {
      const end = Math.min(count, sent + WINDOW);
      for (; sent < end - 1; sent++) driver.publish(0);
      sent++;
      driver.publish(0, (error) => {
        if (error) reject(error);
        else if (sent < count) burst();
        else driver.publish(1, (e) => (e ? reject(e) : resolve())); // the QoS 1 marker
      });
    };
    burst();
  });
}

/** QoS 1: WINDOW messages in flight; each PUBACK lets one more go. */
function runQoS1(driver: Driver, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const onAck = (error?: Error) => {
      if (error) return reject(error);
      if (++acked === count) return resolve();
      if (sent < count) {
        sent++;
        driver.publish(1, onAck);
      }
    };
    for (; sent < Math.min(WINDOW, count); ) {
      sent++;
      driver.publish(1, onAck);
    }
  });
}

interface Sample {
  rate: number;
  /** Client CPU (this process) per message, microseconds. */
  cpuPerMessage: number;
}

async function measure(
  make: (url: string) => Promise<Driver>,
  url: string,
  qos: 0 | 1,
): Promise<Sample> {
  const driver = await make(url);
  const count = qos === 0 ? QOS0_MESSAGES : QOS1_MESSAGES;
  // Warm up the JIT and the connection with a tenth of the load.
  await (qos === 0 ? runQoS0(driver, count / 10) : runQoS1(driver, count / 10));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await (qos === 0 ? runQoS0(driver, count) : runQoS1(driver, count));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await driver.close();
  return { rate: count / seconds, cpuPerMessage: (used.user + used.system) / count };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startMosquitto(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-bench-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  const lines = [
    'per_listener_settings false',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
  ];
  writeFileSync(
    config,
    [...lines, 'max_queued_messages 0', 'log_dest stderr', 'log_type error', ''].join('\n'),
  );
  const pinned = spawnSync('taskset', ['-V']).status === 0;
  const command = pinned ? 'taskset' : '/usr/sbin/mosquitto';
  const argv = pinned ? ['-c', '0', '/usr/sbin/mosquitto', '-c', config] : ['-c', config];
  const child: ChildProcess = spawn(command, argv, { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * --sink PORT: a minimal MQTT server that accepts everything and does nothing else (CONNACK,
 * PUBACK for QoS 1, PINGRESP; no routing). Unlike a real broker it never becomes the
 * bottleneck, so the clients' own publish speed is what gets measured. Frames are found by
 * their fixed header only; packets are never decoded.
 */
function runSink(port: number): void {
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
        acks.forEach((id, i) => out.writeUInt32BE(0x40020000 | id, i * 4));
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

async function startSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const self = process.argv[1]!;
  const pinned = spawnSync('taskset', ['-V']).status === 0;
  const argv = [process.execPath, self, '--sink', String(port)];
  const child = spawn(
    pinned ? 'taskset' : argv[0]!,
    pinned ? ['-c', '0', ...argv] : argv.slice(1),
    {
      stdio: 'ignore',
    },
  );
  await waitForPort(port);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
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

interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
}

/** Runs both clients at one QoS against one target; returns the table row and the ratio. */
async function compare(target: Target, qos: 0 | 1): Promise<{ row: string; ratio: number }> {
  const culex: Sample[] = [];
  const mqttjs: Sample[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate the order so neither client always runs on a warmer machine.
    if (run % 2 === 0) {
      culex.push(await measure(culexDriver, target.url, qos));
      mqttjs.push(await measure(mqttjsDriver, target.url, qos));
    } else {
      mqttjs.push(await measure(mqttjsDriver, target.url, qos));
      culex.push(await measure(culexDriver, target.url, qos));
    }
  }
  const rate = (v: Sample[]) => median(v.map((s) => s.rate));
  const cpu = (v: Sample[]) => median(v.map((s) => s.cpuPerMessage)).toFixed(2);
  const cell = (v: Sample[]) =>
    `${Math.round(rate(v)).toLocaleString('en')} msg/s [${v.map((s) => `${Math.round(s.rate / 1000)}k`).join(' ')}], ${cpu(v)} µs CPU/msg`;
  const ratio = rate(culex) / rate(mqttjs);
  return {
    row: `| ${target.name} | QoS ${qos} | ${cell(culex)} | ${cell(mqttjs)} | ${ratio.toFixed(2)} |`,
    ratio,
  };
}

async function main(): Promise<void> {
  const sinkPort = args.get('--sink');
  if (sinkPort) return runSink(Number(sinkPort));
  const given = args.get('--url');
  const targets: Target[] = [{ name: 'sink', ...(await startSink()) }];
  targets.push(
    given
      ? { name: given, url: given, stop: async () => {} }
      : { name: 'mosquitto', ...(await startMosquitto()) },
  );
  const rows: string[] = [];
  const ratios: Record<string, number> = {};
  try {
    for (const target of targets) {
      for (const qos of [0, 1] as const) {
        const { row, ratio } = await compare(target, qos);
        rows.push(row);
        // The headline ratios come from the sink, where the clients are the bottleneck.
        if (target.name === 'sink') ratios[`qos${qos}Ratio`] = Math.round(ratio * 100) / 100;
      }
    }
  } finally {
    for (const target of targets) await target.stop();
  }
  console.log(
    `publish throughput, 64-byte payloads, MQTT 3.1.1, window ${WINDOW}, median of ${RUNS} runs`,
  );
  console.log(
    `QoS 0: ${QOS0_MESSAGES} msgs, QoS 1: ${QOS1_MESSAGES} msgs per run; CPU = this process`,
  );
  console.log('| server | QoS | Culex client | MQTT.js | ratio |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log(
    'sink: accepts and acknowledges only (client-bound). mosquitto: a real broker, which at QoS 0 ' +
      'saturates its core before either client does; compare CPU/msg there.',
  );
  console.log(JSON.stringify(ratios));
}

await main();
