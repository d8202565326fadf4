// npm run bench:rules: what rules cost the broker. QoS 0 fan-in, MQTT 3.1.1, 64-byte payloads:
// options.publishers publishers → bench/rules/<i>, one subscriber on bench/rules/#, against
//   none      no rules
//   one       one rule on bench/rules/# republishing each message (to rules-out/<clientid>,
//             which nobody reads: the cost is the rule's, not a second delivery's)
//   hundred   100 rules on distinct filters bench/rules/<n> (n < 100), each republishing:
//             every message matches one of them, found by the rules' topic trie
// each in a `culex start` of its own (YAML config), pinned to CPU 0, this process on CPU 1,
// alternating scenarios per rep. With --baseline REF, `none` also runs on that commit
// (built in .tmp/rules-baseline): the broker's hot path with no rule, before and after.
// Prints a table, then one JSON line: msg/s and msg per broker CPU-second per scenario, and
// their ratios to `none`.
// Then the connectors' figures from bench/connectors.ts (runConnectorBench: PostgreSQL sink
// rows/s batched, MQTT egress bridge msgs/s to a Mosquitto and to a Culex, with what one plain
// connection reaches into each), the bridge also as a ratio of the no-rule fan-in rate;
// `--connectors no` skips them.
// Options: --baseline REF, --duration S (5), --warmup S (1), --reps N (3), --window N (1000),
// --publishers N (10), --connectors no.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectorBenchResult, runConnectorBench } from './connectors.js';
import {
  type Build,
  buildBaseline,
  CURRENT_BUILD,
  culexArgs,
  freePort,
  startCulex,
  stopProcess,
} from './broker-process.js';
import {
  connectBytes,
  fanInOverSockets,
  loadOptions,
  type Measured,
  median,
  PAYLOAD_BYTES,
  parseArgs,
  percent,
  subscribeBytes,
} from './qos0-load.js';

const args = parseArgs(process.argv);
const options = loadOptions(args, { duration: 5, reps: 3 });
const BASELINE = args.get('--baseline');
const CONNECTORS = args.get('--connectors') !== 'no';
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

type Scenario = 'none' | 'one' | 'hundred';

const republish = (id: string, filter: string) =>
  `  - id: ${id}\n    sql: SELECT clientid FROM "${filter}"\n` +
  `    actions: [{ type: republish, topic: 'rules-out/\${clientid}', payload: '\${clientid}' }]\n`;

function rulesYaml(scenario: Scenario): string {
  if (scenario === 'none') return '';
  if (scenario === 'one') return `rules:\n${republish('all', 'bench/rules/#')}`;
  let yaml = 'rules:\n';
  for (let n = 0; n < 100; n++) yaml += republish(`r${n}`, `bench/rules/${n}`);
  return yaml;
}

interface Broker {
  label: string;
  scenario: Scenario;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function startBroker(build: Build, scenario: Scenario, dir: string): Promise<Broker> {
  const port = await freePort();
  const config = join(dir, `${build.name.replace(/\W/g, '_')}-${scenario}.yaml`);
  writeFileSync(config, rulesYaml(scenario));
  const pin = hasTaskset ? ['taskset', '-c', '0'] : [];
  const argv = culexArgs(port, ['--store', 'memory', '-c', config]);
  const { child } = await startCulex(argv, pin, 15_000, build.main);
  const label = build === CURRENT_BUILD ? scenario : `${scenario}@${build.name}`;
  return { label, scenario, pid: child.pid!, port, stop: () => stopProcess(child) };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** CONNECT, then waits for the first reply (CONNACK; SUBACK after `then`). */
async function session(port: number, clientId: string, then?: Buffer): Promise<Socket> {
  const socket = await open(port);
  const reply = () => new Promise<Buffer>((r) => socket.once('data', r));
  const connack = reply();
  socket.write(connectBytes(clientId));
  const bytes = await connack;
  if (bytes[0] !== 0x20 || bytes[3] !== 0) throw new Error(`CONNACK ${bytes.toString('hex')}`);
  if (then !== undefined) {
    const suback = reply();
    socket.write(then);
    await suback;
  }
  return socket;
}

interface Result extends Measured {
  label: string;
}

async function fanIn(broker: Broker, rep: number): Promise<Result> {
  const subscriber = await session(
    broker.port,
    `rules-sub-${rep}`,
    subscribeBytes('bench/rules/#'),
  );
  const sockets: Socket[] = [];
  const topics: string[] = [];
  for (let i = 0; i < options.publishers; i++) {
    sockets.push(await session(broker.port, `rules-pub-${rep}-${i}`));
    topics.push(`bench/rules/${i}`);
  }
  const measured = await fanInOverSockets(subscriber, sockets, topics, broker.pid, options);
  if (measured.lost > 0)
    console.error(`${broker.label}: ${measured.lost} messages not delivered after the run`);
  return { label: broker.label, ...measured };
}

async function main(): Promise<void> {
  if (hasTaskset) spawnSync('taskset', ['-a', '-c', '-p', '1', String(process.pid)]);
  const dir = mkdtempSync(join(tmpdir(), 'culex-bench-rules-'));
  const brokers: Broker[] = [];
  try {
    if (BASELINE !== undefined)
      brokers.push(await startBroker(buildBaseline(BASELINE, 'rules-baseline'), 'none', dir));
    for (const scenario of ['none', 'one', 'hundred'] as const)
      brokers.push(await startBroker(CURRENT_BUILD, scenario, dir));
    console.log(
      `QoS 0 fan-in: ${options.publishers} publishers → 1 subscriber, ${PAYLOAD_BYTES}-byte payloads, ` +
        `window ${options.window}/publisher, ${options.warmup} s warm-up + ${options.duration} s per run, ` +
        `${options.reps} reps${hasTaskset ? ', brokers on CPU 0, load on CPU 1' : ' (no taskset: unpinned)'}`,
    );
    const results: Result[] = [];
    for (let rep = 0; rep < options.reps; rep++)
      for (const broker of brokers) results.push(await fanIn(broker, rep));
    const ran = [...brokers];
    // The connector targets get the CPU the brokers had.
    for (const b of brokers.splice(0)) await b.stop();
    report(results, ran, CONNECTORS ? await runConnectorBench() : undefined);
  } finally {
    for (const b of brokers) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * msg/s, and msg per broker CPU-second: on a host whose cores other work shares, the broker
 * does not always get its core, and the second figure moves less with that.
 */
function report(
  results: Result[],
  brokers: Broker[],
  connectors: ConnectorBenchResult | undefined,
): void {
  console.log('');
  console.log('| scenario | messages | seconds | msg/s | broker CPU | msg per CPU-s | load CPU |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(
      `| ${r.label} | ${r.messages} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} | ` +
        `${percent(r.brokerCpu)} | ${Math.round(perCpu(r))} | ${percent(r.loadCpu)} |`,
    );
  const of = (label: string, f: (r: Result) => number) =>
    median(results.filter((r) => r.label === label).map(f));
  const figures = (f: (r: Result) => number) => {
    const none = of('none', f);
    const values = Object.fromEntries(brokers.map((b) => [b.label, Math.round(of(b.label, f))]));
    // Ratios to no rules; a baseline's as this build over it (above 1: this build is faster).
    const ratio = Object.fromEntries(
      brokers
        .filter((b) => b.label !== 'none')
        .map((b) => {
          const value = of(b.label, f);
          const r = b.scenario === 'none' ? none / value : value / none;
          return [b.scenario === 'none' ? `none/${b.label}` : b.label, Number(r.toFixed(3))];
        }),
    );
    return { values, ratio };
  };
  const toFanin = (rate: number) => Number((rate / of('none', (r) => r.rate)).toFixed(3));
  console.log('');
  console.log(
    JSON.stringify({
      rate: figures((r) => r.rate),
      perCpuSecond: figures(perCpu),
      connectors: connectors && {
        ...connectors,
        // The yardstick: the egress bridge against this broker's own fan-in rate; into
        // Mosquitto, whose single-connection ingest (mosquitto_pub -l) caps it, and into Culex.
        mqttEgressToFanin: toFanin(connectors.mqttEgressPerSecond),
        mosquittoPubToFanin: toFanin(connectors.mosquittoPubPerSecond),
        mqttEgressToCulexToFanin: toFanin(connectors.mqttEgressToCulexPerSecond),
        // CPU against CPU: forward() msgs per bridge CPU-s over fan-in msgs per broker CPU-s.
        mqttEgressPerCpuToFaninPerCpu: Number(
          (connectors.mqttEgressToCulexPerCpuSecond / of('none', perCpu)).toFixed(3),
        ),
      },
      targets: { one: 0.7, hundred: 0.5, postgresRowsPerSecond: 20_000, mqttEgressToFanin: 0.5 },
    }),
  );
}

const perCpu = (r: Result) => (r.brokerCpu ? r.rate / r.brokerCpu : Number.NaN);

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
