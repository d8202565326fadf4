// npm run bench:client: publish throughput of the Culex client vs MQTT.js against the same
// broker, QoS 0 and QoS 1, 64-byte payloads, MQTT 3.1.1, one connection each.
//
// Each run publishes N messages as fast as the client allows and is timed until the broker
// has them all: for QoS 1 until the last PUBACK, for QoS 0 until the PUBACK of one QoS 1
// marker sent after them (the broker handles a connection's packets in order). Both
// clients are driven the same way: QoS 0 waits on its library's completion signal every
// WINDOW messages (backpressure), QoS 1 keeps WINDOW messages in flight.
//
// The headline broker is the Culex broker (`culex start`, memory store), pinned to CPU 0
// while this process runs on CPU 1: it handles far more than either client can send, so
// the ratio measures the clients. Mosquitto (which saturates before the clients at QoS 0)
// and a sink that only acknowledges are extra rows. --targets culex,mosquitto,sink picks
// them; --url adds a broker of your own. Prints a table, then one JSON line last,
// {"qos0Ratio": x, "qos1Ratio": y}: Culex msg/s ÷ MQTT.js msg/s against the Culex broker,
// medians of the runs.
import mqtt from 'mqtt';
import { connect } from '../src/client/index.js';
import {
  pinSelf,
  runSink,
  startCulexTarget,
  startMosquittoTarget,
  startSinkTarget,
  type Target,
} from './client-targets.js';

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

const STARTERS: Record<string, () => Promise<Target>> = {
  culex: startCulexTarget,
  mosquitto: startMosquittoTarget,
  sink: startSinkTarget,
};

async function startTargets(): Promise<Target[]> {
  const names = (args.get('--targets') ?? 'culex,mosquitto,sink').split(',');
  if (!names.includes('culex')) names.unshift('culex'); // the JSON line comes from it
  const targets: Target[] = [];
  for (const name of names) {
    const start = STARTERS[name];
    if (!start) throw new Error(`unknown target ${name}; known: ${Object.keys(STARTERS)}`);
    targets.push(await start());
  }
  const given = args.get('--url');
  if (given) targets.push({ name: given, url: given, stop: async () => {} });
  return targets;
}

async function main(): Promise<void> {
  const sinkPort = args.get('--sink');
  if (sinkPort) return runSink(Number(sinkPort));
  pinSelf(1);
  const targets = await startTargets();
  const rows: string[] = [];
  const ratios: Record<string, number> = {};
  try {
    for (const target of targets) {
      for (const qos of [0, 1] as const) {
        const { row, ratio } = await compare(target, qos);
        rows.push(row);
        if (target.name === 'culex') ratios[`qos${qos}Ratio`] = Math.round(ratio * 100) / 100;
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
  console.log('| broker | QoS | Culex client | MQTT.js | ratio |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log(
    'culex: the Culex broker, which outpaces both clients (the JSON line). mosquitto: saturates ' +
      'its core before either client at QoS 0; compare CPU/msg there. sink: acknowledges only.',
  );
  console.log(JSON.stringify(ratios));
}

await main();
