// `npm run bench`: ../shared/bench side by side — Culex, Mosquitto and Aedes in one run, same
// scenarios, then the medians and Culex's ratio to each. For `conns`, a bare Node.js socket
// server (bench/node-floor.ts) runs too: the most any Node.js broker could reach on this host.
// Extra arguments go to run-bench (e.g. `npm run bench -- --quick`, `--proto 5`,
// `--only fanin-q0,conns`).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CULEX_MAIN, culexArgs } from './broker-process.js';

const root = resolve(import.meta.dirname, '..', '..');
const shared = resolve(root, '..', 'shared', 'bench');
const scratch = join(root, '.tmp', 'shared-bench');

interface Broker {
  name: string;
  port: number;
  command: string[];
  /** Scenarios it can run, when not all (a comma list for run-bench's --only). */
  only?: string;
}

function prepareHarness(): void {
  if (!existsSync(shared))
    throw new Error(
      `the shared benchmark harness is missing: expected ../shared/bench beside the repository`,
    );
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  // shared/ is read-only; run-bench writes results beside itself.
  cpSync(shared, scratch, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', scratch]);
  execFileSync('make', ['-s', '-C', scratch], { stdio: 'inherit' });
}

/** `culex start --workers N` on both cores (run-bench pins its broker to CPU 0; taskset after it widens that again). */
function culexWorkers(count: number, port: number): Broker {
  const command = [...culexCommand(port), '--workers', String(count)];
  return { name: `culex-w${count}`, port, command: ['taskset', '-c', '0,1', ...command] };
}

function culexCommand(port: number): string[] {
  return ['node', CULEX_MAIN, ...culexArgs(port, ['--store', 'memory'])];
}

function brokers(args: string[]): Broker[] {
  const workers = workersArgument(args);
  if (workers !== undefined) return [culexWorkers(workers, 18837), culexWorkers(1, 18838)];
  const proto5 = args.join(' ').includes('--proto 5');
  const culex: Broker = { name: 'culex', port: 18832, command: culexCommand(18832) };
  const mosquitto: Broker = {
    name: 'mosquitto',
    port: 18831,
    command: ['mosquitto', '-c', join(scratch, 'brokers', 'mosquitto.conf')],
  };
  const aedes: Broker = {
    name: 'aedes',
    port: 18835,
    command: [
      'env',
      `AEDES_DIR=${root}`,
      'node',
      join(scratch, 'brokers', 'aedes-server.mjs'),
      '18835',
    ],
  };
  const nodeFloor: Broker = {
    name: 'node-net',
    port: 18836,
    command: ['node', join(root, 'dist', 'bench', 'node-floor.js'), '18836'],
    only: 'conns',
  };
  // Aedes speaks no MQTT 5.
  const all = proto5 ? [culex, mosquitto] : [culex, mosquitto, aedes];
  return runsConns(args) ? [...all, nodeFloor] : all;
}

/** `--workers N` (ours, not run-bench's): Culex with N workers against Culex with one. */
function workersArgument(args: string[]): number | undefined {
  const at = args.indexOf('--workers');
  return at < 0 ? undefined : Number(args[at + 1]);
}

/** Whether the run includes the conns scenario (all do unless --only leaves it out). */
function runsConns(args: string[]): boolean {
  const at = args.indexOf('--only');
  return at < 0 || (args[at + 1] ?? '').split(',').includes('conns');
}

/** The run-bench arguments for one broker: its own --only when it runs only some scenarios. */
function argsFor(broker: Broker, args: string[]): string[] {
  if (broker.only === undefined) return args;
  const at = args.indexOf('--only');
  const rest = at < 0 ? args : [...args.slice(0, at), ...args.slice(at + 2)];
  return [...rest, '--only', broker.only];
}

type Row = Record<string, number | string | boolean>;

function run(broker: Broker, args: string[]): Row[] {
  const out = join(scratch, 'results', `${broker.name}.jsonl`);
  mkdirSync(join(scratch, 'results'), { recursive: true });
  const result = spawnSync(
    join(scratch, 'run-bench'),
    [
      ...argsFor(broker, args),
      '--name',
      broker.name,
      '--out',
      out,
      '--port',
      String(broker.port),
      '--',
      ...broker.command,
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0)
    console.error(`bench: run-bench for ${broker.name} exited with ${result.status}`);
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}

/** The figure each scenario is judged by, higher is better unless noted. */
const headline: Record<string, { field: string; lowerIsBetter?: boolean; label: string }[]> = {
  'fanin-q0': [{ field: 'recv_rate', label: 'msg/s' }],
  'fanin-q1': [{ field: 'recv_rate', label: 'msg/s' }],
  'fanout-q0': [{ field: 'recv_rate', label: 'deliveries/s' }],
  'latency-q0': [
    { field: 'lat_p50_us', label: 'p50 µs', lowerIsBetter: true },
    { field: 'lat_p99_us', label: 'p99 µs', lowerIsBetter: true },
  ],
  'latency-q1': [
    { field: 'lat_p50_us', label: 'p50 µs', lowerIsBetter: true },
    { field: 'lat_p99_us', label: 'p99 µs', lowerIsBetter: true },
  ],
  conns: [
    { field: 'conn_rate', label: 'conn/s' },
    { field: 'kib_per_conn', label: 'KiB/conn', lowerIsBetter: true },
  ],
  'fanin-q0-1k': [{ field: 'recv_rate', label: 'msg/s' }],
};

/** Median over reps, taking each rep's last attempt (run-bench retries noisy runs). */
function median(rows: Row[], scenario: string, field: string): number | undefined {
  const last = new Map<number, Row>();
  for (const r of rows) if (r.case === scenario && r.ok === true) last.set(Number(r.rep), r);
  const values = [...last.values()].map((r) => Number(r[field])).filter((v) => Number.isFinite(v));
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1]! + values[mid]!) / 2;
}

function medianSteal(rows: Row[]): number | undefined {
  const values = rows.map((r) => Number(r.steal_pct)).filter((v) => Number.isFinite(v) && v >= 0);
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

function format(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

function report(results: Map<string, Row[]>): void {
  const names = [...results.keys()];
  const ratios: Record<string, number> = {};
  console.log(
    `\n${['scenario', 'figure', ...names, ...names.slice(1).map((n) => `culex/${n}`)].join(' | ')}`,
  );
  for (const [scenario, figures] of Object.entries(headline)) {
    for (const { field, label, lowerIsBetter } of figures) {
      const values = names.map((n) => median(results.get(n)!, scenario, field));
      if (values.every((v) => v === undefined)) continue;
      const culex = values[0];
      const cells = names.slice(1).map((n, i) => {
        const other = values[i + 1];
        if (culex === undefined || other === undefined || other === 0 || culex === 0) return '—';
        const ratio = lowerIsBetter ? other / culex : culex / other;
        ratios[`${scenario}:${label}:${n}`] = Number(ratio.toFixed(2));
        return `${ratio.toFixed(2)}×`;
      });
      console.log([scenario, label, ...values.map(format), ...cells].join(' | '));
    }
  }
  console.log('(ratios: > 1 means Culex is better; for latency and memory the inverse is taken)');
  // Stolen CPU (other guests on the host) slows whichever broker it hits: read ratios with it.
  console.log(
    `host steal, median % over runs: ${names.map((n) => `${n} ${format(medianSteal(results.get(n)!))}`).join(', ')}`,
  );
  console.log(JSON.stringify(ratios));
}

const given = process.argv.slice(2);
const workersAt = given.indexOf('--workers');
const args = workersAt < 0 ? given : [...given.slice(0, workersAt), ...given.slice(workersAt + 2)];
if (workersAt >= 0)
  console.log(
    'bench --workers: both runs use both cores, shared by the workers, their supervisor, ' +
      'nats-server and mqttload (pinned to CPU 1); CPU and KiB/conn figures are the supervisor ' +
      "process's only, connection and message rates are the whole broker's",
  );
prepareHarness();
const results = new Map<string, Row[]>();
for (const broker of brokers(given)) results.set(broker.name, run(broker, args));
report(results);
