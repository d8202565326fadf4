// npm run bench:connectors: the rates of two connector sinks against real targets started
// here on free ports (test/auth/servers.ts): the PostgreSQL sink's batched INSERT rows/s, and
// the MQTT bridge's egress (forward() of local messages on an `out` line, QoS 0) to a
// Mosquitto, as msgs/s received by a subscriber there and as a ratio of the rate one plain
// client publishing QoS 0 to the same Mosquitto reaches.
//
// `runConnectorBench()` is exported for `npm run bench:rules`; run directly it prints a table
// and one JSON line. Options: --rows N (200000), --messages N (200000), --batch N (500).
import pg from 'pg';
import { connect, type MqttClient } from '../src/client/index.js';
import {
  type Connector,
  createConnector,
  isMqttBridge,
  type Sink,
} from '../src/connectors/index.js';
import { startMosquittoServer, startPostgres } from '../test/auth/servers.js';

export interface ConnectorBenchResult {
  postgresRowsPerSecond: number;
  mqttEgressPerSecond: number;
  mqttDirectPerSecond: number;
  mqttEgressRatio: number;
}

const quiet = { info() {}, warn() {}, error() {} };
const deps = { log: quiet, ingress() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pushes `count` records as fast as the sink takes them, keeping its buffer under `window`. */
async function pushAll(sink: Sink, count: number, record: (i: number) => Record<string, unknown>) {
  const window = 5_000;
  for (let i = 0; i < count; ) {
    if (sink.counters.queued < window) {
      for (const end = Math.min(count, i + 1000); i < end; i++) sink.push(record(i), 'bench/t');
    }
    await new Promise((r) => setImmediate(r));
  }
  const dropped = Object.values(sink.counters.dropped).reduce((a, b) => a + b, 0);
  if (dropped > 0) throw new Error(`bench: ${dropped} records dropped`);
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function postgresRate(rows: number, batchSize: number): Promise<number> {
  const server = await startPostgres();
  const db = new pg.Client({ connectionString: server.url });
  let connector: Connector | undefined;
  try {
    await db.connect();
    await db.query('CREATE TABLE readings (clientid text, temp double precision, ts bigint)');
    connector = createConnector({ name: 'pg', type: 'postgresql', url: server.url, pool: 2 }, deps);
    const sink = connector.sink(
      {
        connector: 'pg',
        sql: 'INSERT INTO readings (clientid, temp, ts) VALUES (${clientid}, ${payload.temp}, ${ts})',
        batchSize,
      },
      'bench/pg',
    );
    const started = performance.now();
    await pushAll(sink, rows, (i) => ({
      clientid: `c${i % 1000}`,
      payload: { temp: i / 10 },
      ts: i,
    }));
    await until(() => sink.counters.success + sink.counters.failed >= rows, 120_000, 'rows');
    const seconds = (performance.now() - started) / 1000;
    const count = Number((await db.query('SELECT count(*) FROM readings')).rows[0].count);
    if (count !== rows) throw new Error(`bench: ${count} rows in the table, ${rows} pushed`);
    return rows / seconds;
  } finally {
    await connector?.close();
    await db.end().catch(() => {});
    await server.remove();
  }
}

/** Messages/s a subscriber on Mosquitto gets while `send(i)` publishes `count` of them. */
async function receiveRate(
  port: number,
  topic: string,
  count: number,
  send: (i: number) => Promise<void> | void,
): Promise<number> {
  const subscriber: MqttClient = await connect(`mqtt://127.0.0.1:${port}`, {
    maxHeldMessages: 1_000_000,
  });
  let got = 0;
  subscriber.on('message', () => got++);
  await subscriber.subscribe(topic, { qos: 0 });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const pending = send(i);
    if (pending) await pending;
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  // QoS 0 may be dropped by Mosquitto under overload: the rate counts what arrived.
  let last = -1;
  while (got < count && got !== last) {
    last = got;
    await sleep(500);
  }
  const seconds = (performance.now() - started) / 1000;
  await subscriber.end({ force: true });
  return got / seconds;
}

async function mqttRates(messages: number): Promise<{ egress: number; direct: number }> {
  const mosquitto = await startMosquittoServer(['max_queued_messages 1000000']);
  const url = `mqtt://127.0.0.1:${mosquitto.port}`;
  const payload = Buffer.from(JSON.stringify({ temp: 21.5, unit: 'C' }));
  try {
    const publisher = await connect(url);
    const direct = await receiveRate(mosquitto.port, 'direct/#', messages, (i) =>
      publisher.publish(`direct/${i % 100}`, payload).then(() => {}),
    );
    await publisher.end();
    const bridge = createConnector(
      {
        name: 'up',
        type: 'mqtt',
        url,
        topics: ['# out 0 local/ remote/'],
        forward: { buffer: { memory: 1_000_000 } },
      },
      deps,
    );
    if (!isMqttBridge(bridge)) throw new Error('not a bridge');
    await until(() => bridge.status() === 'connected', 10_000, 'the bridge');
    const egress = await receiveRate(mosquitto.port, 'remote/#', messages, (i) => {
      bridge.forward(`local/s/${i % 100}`, payload, 0, false);
    });
    await bridge.close();
    return { egress, direct };
  } finally {
    await mosquitto.remove();
  }
}

export async function runConnectorBench(
  options: { rows?: number; messages?: number; batchSize?: number } = {},
): Promise<ConnectorBenchResult> {
  const postgresRowsPerSecond = await postgresRate(
    options.rows ?? 200_000,
    options.batchSize ?? 500,
  );
  const { egress, direct } = await mqttRates(options.messages ?? 200_000);
  return {
    postgresRowsPerSecond: Math.round(postgresRowsPerSecond),
    mqttEgressPerSecond: Math.round(egress),
    mqttDirectPerSecond: Math.round(direct),
    mqttEgressRatio: Number((egress / direct).toFixed(2)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2)
    args.set(process.argv[i]!, process.argv[i + 1] ?? '');
  const result = await runConnectorBench({
    rows: Number(args.get('--rows') ?? 200_000),
    messages: Number(args.get('--messages') ?? 200_000),
    batchSize: Number(args.get('--batch') ?? 500),
  });
  console.log(`PostgreSQL sink, batched        ${result.postgresRowsPerSecond} rows/s`);
  console.log(`MQTT egress bridge → Mosquitto  ${result.mqttEgressPerSecond} msgs/s`);
  console.log(`plain client → Mosquitto        ${result.mqttDirectPerSecond} msgs/s`);
  console.log(`egress / plain                  ${result.mqttEgressRatio}`);
  console.log(JSON.stringify(result));
}
