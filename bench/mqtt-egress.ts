// The MQTT egress bridge's rate (forward() of local QoS 0 messages on an `out` line) side by
// side with what one connection straight to the same remote broker reaches: mosquitto_pub -l
// and our client library. Each rate is counted by bench/count-subscriber.ts in a process of
// its own, so the measuring subscriber does not take this process's CPU from the sender, and
// is timed from the first send to the last arrival.
// Messages the remote broker drops (QoS 0 under overload) are not counted.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from '../src/client/index.js';
import { createConnector, isMqttBridge } from '../src/connectors/index.js';

export interface EgressRates {
  /** msg/s of forward() through the bridge, QoS 0. */
  bridge: number;
  /** forward() QoS 0 messages per CPU-second of the bridge's process. */
  bridgePerCpuSecond: number;
  /** The same on a QoS 1 line (pipelined: mqtt-publisher.ts). */
  bridgeQoS1: number;
  /** msg/s of our client publishing QoS 0 straight to the remote broker. */
  client: number;
  /** msg/s of `mosquitto_pub -l` (one connection, C) straight to the remote broker. */
  mosquittoPub: number;
}

const PAYLOAD = Buffer.from(JSON.stringify({ temp: 21.5, unit: 'C' }));
const quiet = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));

/** The three rates into the broker on 127.0.0.1:`port`, `messages` each. */
export async function egressRates(port: number, messages: number): Promise<EgressRates> {
  const url = `mqtt://127.0.0.1:${port}`;
  const mosquittoPub = await receiveRate(port, 'pub/#', messages, () =>
    mosquittoPubLines(port, 'pub/1', messages),
  );
  const publisher = await connect(url);
  const client = await receiveRate(port, 'direct/#', messages, async () => {
    for (let i = 0; i < messages; i++) {
      const sent = publisher.publish(`direct/${i % 100}`, PAYLOAD);
      // Waits for the writer's room every 1000 messages: backpressure, as an app would.
      if (i % 1000 === 999) await sent;
    }
  });
  await publisher.end();
  const bridge = await bridgeRate(port, messages, 0);
  const bridgeQoS1 = await bridgeRate(port, messages, 1);
  return {
    bridge: bridge.rate,
    bridgePerCpuSecond: bridge.perCpuSecond,
    bridgeQoS1: bridgeQoS1.rate,
    client,
    mosquittoPub,
  };
}

/**
 * msg/s of forward() on an `out` line of QoS `qos` into the broker on `port`, and messages
 * per CPU-second of this process meanwhile (steadier than msg/s on a shared host).
 */
async function bridgeRate(port: number, messages: number, qos: 0 | 1) {
  const bridge = createConnector(
    {
      name: 'up',
      type: 'mqtt',
      url: `mqtt://127.0.0.1:${port}`,
      topics: [`# out ${qos} local/ remote/`],
      forward: { buffer: { memory: 1_000_000 } },
    },
    { log: quiet, ingress() {} },
  );
  if (!isMqttBridge(bridge)) throw new Error('not a bridge');
  for (let waited = 0; bridge.status() !== 'connected'; waited += 10) {
    if (waited > 10_000) throw new Error('bench: the bridge did not connect');
    await sleep(10);
  }
  // The broker hands local messages to forward() from its socket reads: 1000 per loop turn.
  const cpu = process.cpuUsage();
  const rate = await receiveRate(port, 'remote/#', messages, async () => {
    for (let i = 0; i < messages; i++) {
      bridge.forward(`local/s/${i % 100}`, PAYLOAD, qos, false);
      if (i % 1000 === 999) await turn();
    }
  });
  const used = process.cpuUsage(cpu);
  const dropped = bridge.forwardCounters?.dropped ?? {};
  await bridge.close();
  if (Object.keys(dropped).length > 0) throw new Error(`bench: drops ${JSON.stringify(dropped)}`);
  return { rate, perCpuSecond: messages / ((used.user + used.system) / 1e6) };
}

/** Messages/s a mosquitto_sub on `topic` counts while `send()` publishes `count` to it. */
async function receiveRate(
  port: number,
  topic: string,
  count: number,
  send: () => Promise<void>,
): Promise<number> {
  const counter = await startCounter(port, topic);
  try {
    const started = Date.now();
    await send();
    let last = -1;
    while (counter.got < count && counter.got !== last) {
      last = counter.got;
      await sleep(1000);
    }
    return counter.got / ((counter.lastAt - started) / 1000);
  } finally {
    counter.child.kill();
  }
}

interface Counter {
  child: ChildProcess;
  /** Messages on the measured topic so far. */
  readonly got: number;
  /** Date.now() of the last arrival. */
  readonly lastAt: number;
}

/** bench/count-subscriber.ts on `topic`, once it has its SUBACK. */
async function startCounter(port: number, topic: string): Promise<Counter> {
  const script = join(import.meta.dirname, 'count-subscriber.js');
  const child = spawn(process.execPath, [script, String(port), topic], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let got = 0;
  let lastAt = 0;
  let text = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench: no SUBACK for the counter')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
          continue;
        }
        const [count, at] = line.split(' ').map(Number);
        got = count!;
        lastAt = at!;
      }
    });
  });
  await ready;
  return {
    child,
    get got() {
      return got;
    },
    get lastAt() {
      return lastAt;
    },
  };
}

/** `mosquitto_pub -l`: one message per line of its input, over one connection. */
function mosquittoPubLines(port: number, topic: string, count: number): Promise<void> {
  const child = spawn(
    'mosquitto_pub',
    ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-l', '-q', '0'],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited with ${code}`)),
    );
  });
  child.stdin!.end(`${PAYLOAD.toString()}\n`.repeat(count));
  return done;
}
