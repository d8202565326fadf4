// npm run bench:connectors: the rates of two connector sinks against real targets started
// here on free ports (test/auth/servers.ts): the PostgreSQL sink's batched INSERT rows/s, and
// the MQTT bridge's egress (forward() of local messages on an `out` line, QoS 0) to a
// Mosquitto, as msgs/s received by a subscriber there and as a ratio of the rate one plain
// client publishing QoS 0 to the same Mosquitto reaches.
//
// `runConnectorBench()` is exported for `npm run bench:rules`; run directly it prints a table
// and one JSON line. Options: --rows N (200000), --messages N (200000), --batch N (500).
import pg from 'pg';
import { type Connector, createConnector, type Sink } from '../src/connectors/index.js';
import { startMosquittoServer, startPostgres } from '../test/auth/servers.js';
import { culexArgs, freePort, startCulex, stopProcess } from './broker-process.js';
import { type EgressRates, egressRates } from './mqtt-egress.js';

export interface ConnectorBenchResult {
  postgresRowsPerSecond: number;
  mqttEgressPerSecond: number;
  mqttDirectPerSecond: number;
  /** mosquitto_pub -l straight to the Mosquitto: its single-connection ingest. */
  mosquittoPubPerSecond: number;
  mqttEgressRatio: number;
  /** The bridge on a QoS 1 `out` line, into Mosquitto and into Culex. */
  mqttEgressQoS1PerSecond: number;
  mqttEgressQoS1ToCulexPerSecond: number;
  /** The same three with a `culex start` as the remote broker instead of Mosquitto. */
  mqttEgressToCulexPerSecond: number;
  /** forward() messages per CPU-second of the bridge's process, into Culex. */
  mqttEgressToCulexPerCpuSecond: number;
  mqttDirectToCulexPerSecond: number;
  mosquittoPubToCulexPerSecond: number;
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

/** Egress rates into a Mosquitto, then into a `culex start` (memory store) as the remote. */
async function mqttRates(messages: number): Promise<Record<'mosquitto' | 'culex', EgressRates>> {
  const mosquitto = await startMosquittoServer(['max_queued_messages 1000000']);
  let atMosquitto: EgressRates;
  try {
    atMosquitto = await egressRates(mosquitto.port, messages);
  } finally {
    await mosquitto.remove();
  }
  const port = await freePort();
  const { child } = await startCulex(culexArgs(port, ['--store', 'memory']));
  try {
    return { mosquitto: atMosquitto, culex: await egressRates(port, messages) };
  } finally {
    await stopProcess(child);
  }
}

export async function runConnectorBench(
  options: { rows?: number; messages?: number; batchSize?: number; postgres?: boolean } = {},
): Promise<ConnectorBenchResult> {
  const postgresRowsPerSecond =
    options.postgres === false
      ? Number.NaN
      : await postgresRate(options.rows ?? 200_000, options.batchSize ?? 500);
  const { mosquitto, culex } = await mqttRates(options.messages ?? 200_000);
  return {
    postgresRowsPerSecond: Math.round(postgresRowsPerSecond),
    mqttEgressPerSecond: Math.round(mosquitto.bridge),
    mqttDirectPerSecond: Math.round(mosquitto.client),
    mosquittoPubPerSecond: Math.round(mosquitto.mosquittoPub),
    mqttEgressRatio: Number((mosquitto.bridge / mosquitto.client).toFixed(2)),
    mqttEgressQoS1PerSecond: Math.round(mosquitto.bridgeQoS1),
    mqttEgressQoS1ToCulexPerSecond: Math.round(culex.bridgeQoS1),
    mqttEgressToCulexPerSecond: Math.round(culex.bridge),
    mqttEgressToCulexPerCpuSecond: Math.round(culex.bridgePerCpuSecond),
    mqttDirectToCulexPerSecond: Math.round(culex.client),
    mosquittoPubToCulexPerSecond: Math.round(culex.mosquittoPub),
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
    postgres: args.get('--postgres') !== 'no',
  });
  console.log(`PostgreSQL sink, batched        ${result.postgresRowsPerSecond} rows/s`);
  console.log(`MQTT egress bridge → Mosquitto  ${result.mqttEgressPerSecond} msgs/s`);
  console.log(`our client → Mosquitto          ${result.mqttDirectPerSecond} msgs/s`);
  console.log(`mosquitto_pub -l → Mosquitto    ${result.mosquittoPubPerSecond} msgs/s`);
  console.log(`egress / our client             ${result.mqttEgressRatio}`);
  console.log(`MQTT egress bridge QoS 1 → Mosq ${result.mqttEgressQoS1PerSecond} msgs/s`);
  console.log(`MQTT egress bridge → Culex      ${result.mqttEgressToCulexPerSecond} msgs/s`);
  console.log(`  per CPU-second of the bridge    ${result.mqttEgressToCulexPerCpuSecond} msgs`);
  console.log(`our client → Culex              ${result.mqttDirectToCulexPerSecond} msgs/s`);
  console.log(`mosquitto_pub -l → Culex        ${result.mosquittoPubToCulexPerSecond} msgs/s`);
  console.log(`MQTT egress bridge QoS 1 → Culex ${result.mqttEgressQoS1ToCulexPerSecond} msgs/s`);
  console.log(JSON.stringify(result));
}
