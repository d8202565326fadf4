// `npm run bench:cluster [seconds] [reps]`: the cost of the cluster hop, side by side in one
// run. A single Culex node (no --cluster) against two Culex nodes and one nats-server, with
// publishers on node A and the subscriber on node B. All broker processes on CPU 0, the load
// on CPU 1, as ../shared/bench does. The load is ../shared/bench's mqttload with one small
// patch (bench/mqttload-subport.patch: MQTTLOAD_SUB_PORT sends subscribers to another port),
// and bench/fanin-load.ts for QoS 1 to a persistent subscriber with durability sync.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { culexArgs, startCulex, stopProcess } from './broker-process.js';
import { runFanin } from './fanin-load.js';

const PINNED = ['taskset', '-c', '0'];
const root = resolve(import.meta.dirname, '..', '..');
const [A, B, NATS] = [18881, 18882, 18883];

if (process.env.CULEX_BENCH_PINNED !== '1') {
  const child = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, CULEX_BENCH_PINNED: '1' },
  });
  process.exit(child.status ?? 1);
}

/** mqttload from ../shared/bench, patched so subscribers can use another node's port. */
function buildLoad(dir: string): string {
  const source = resolve(root, '..', 'shared', 'bench', 'mqttload.c');
  cpSync(source, join(dir, 'mqttload.c'));
  execFileSync('chmod', ['u+w', join(dir, 'mqttload.c')]);
  execFileSync('patch', ['-s', '-d', dir, '-i', resolve(root, 'bench', 'mqttload-subport.patch')]);
  execFileSync('cc', ['-O2', '-o', join(dir, 'mqttload'), join(dir, 'mqttload.c'), '-lm']);
  return join(dir, 'mqttload');
}

interface Setup {
  name: string;
  pids: number[];
  subscriberPort: number;
  stop(): Promise<void>;
}

async function single(dir: string, durable: boolean): Promise<Setup> {
  const store = durable
    ? ['--store', 'lmdb', '--durability', 'sync', '--data-dir', dir]
    : ['--store', 'memory'];
  const { child } = await startCulex(culexArgs(A, store), PINNED);
  return { name: 'single', pids: [child.pid!], subscriberPort: A, stop: () => stopProcess(child) };
}

async function startNats(dir: string): Promise<ChildProcess> {
  const child = spawn(
    PINNED[0]!,
    [
      ...PINNED.slice(1),
      'nats-server',
      '-a',
      '127.0.0.1',
      '-p',
      String(NATS),
      '-js',
      '-sd',
      join(dir, 'js'),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const probe = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${NATS}`]);
    if (probe.status === 0) return child;
  }
  throw new Error('nats-server did not listen in 10 s');
}

async function cluster(dir: string, durable: boolean): Promise<Setup> {
  const nats = await startNats(dir);
  const node = (port: number, name: string) => {
    const store = durable
      ? ['--store', 'lmdb', '--durability', 'sync', '--data-dir', join(dir, name)]
      : ['--store', 'memory'];
    return startCulex(
      culexArgs(port, [...store, '--cluster', `nats://127.0.0.1:${NATS}`, '--node-name', name]),
      PINNED,
    );
  };
  const a = (await node(A, 'a')).child;
  const b = (await node(B, 'b')).child;
  return {
    name: 'cluster',
    pids: [a.pid!, b.pid!, nats.pid!],
    subscriberPort: B,
    stop: async () => {
      await stopProcess(a);
      await stopProcess(b);
      await stopProcess(nats);
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Result {
  rate: number;
  p50?: number;
  p99?: number;
  /** µs of CPU over all broker processes per message delivered. */
  cpuPerMessage: number;
}

function mqttload(
  load: string,
  setup: Setup,
  args: string[],
): { rate: number; p50: number; p99: number; total: number } {
  const out = execFileSync(load, ['-p', String(A), '-d', String(seconds), ...args], {
    env: { ...process.env, MQTTLOAD_SUB_PORT: String(setup.subscriberPort) },
  }).toString();
  const r = JSON.parse(out.trim().split('\n').pop()!);
  if (!r.ok) throw new Error(`mqttload: ${r.error}`);
  return { rate: r.recv_rate, p50: r.lat_p50_us, p99: r.lat_p99_us, total: r.recv_total };
}

type Scenario = {
  name: string;
  durable: boolean;
  run(load: string, s: Setup): Promise<{ rate: number; total: number; p50?: number; p99?: number }>;
};

const scenarios: Scenario[] = [
  { name: 'fanin-q0', durable: false, run: async (load, s) => mqttload(load, s, ['-s', 'fanin']) },
  {
    name: 'latency-q0 @10k',
    durable: false,
    run: async (load, s) => mqttload(load, s, ['-s', 'latency', '-r', '10000']),
  },
  {
    name: 'fanin-q1 durable',
    durable: true,
    run: async (_load, s) => {
      const r = await runFanin({
        port: A,
        subscriberPort: s.subscriberPort,
        publishers: 10,
        window: 32,
        payloadBytes: 64,
        warmupSeconds: 1,
        seconds,
        persistentSubscriber: true,
        topicPrefix: `cl${process.pid}`,
      });
      return { rate: r.rate, total: r.received };
    },
  },
];

async function measure(load: string, scenario: Scenario, make: typeof single): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-bench-cluster-'));
  const setup = await make(dir, scenario.durable);
  try {
    const before = setup.pids.map(cpuSeconds);
    const r = await scenario.run(load, setup);
    const used = setup.pids
      .map((pid, i) => cpuSeconds(pid) - before[i]!)
      .reduce((a, b) => a + b, 0);
    return { ...r, cpuPerMessage: (used * 1e6) / Math.max(1, r.total) };
  } finally {
    await setup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const work = mkdtempSync(join(tmpdir(), 'culex-mqttload-'));
const load = buildLoad(work);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
console.log(
  `bench:cluster: ${reps} × ${seconds} s per scenario; single node vs 2 nodes + nats-server, all on CPU 0`,
);
for (const scenario of scenarios) {
  const runs: Record<string, Result[]> = { single: [], cluster: [] };
  // Setups take turns, so a slow spell of the shared host does not fall on one of them.
  for (let i = 0; i < reps; i++) {
    runs.single!.push(await measure(load, scenario, single));
    runs.cluster!.push(await measure(load, scenario, cluster));
  }
  const m = (name: string, key: keyof Result) => median(runs[name]!.map((r) => r[key] ?? 0));
  const ratio = m('cluster', 'rate') / m('single', 'rate');
  const latency = scenario.name.startsWith('latency')
    ? `  p50 ${m('single', 'p50').toFixed(0)} / ${m('cluster', 'p50').toFixed(0)} µs, p99 ${m('single', 'p99').toFixed(0)} / ${m('cluster', 'p99').toFixed(0)} µs (single / cluster)`
    : '';
  console.log(
    `${scenario.name.padEnd(18)} single ${fmt(m('single', 'rate'))} msg/s [${runs.single!.map((r) => fmt(r.rate)).join(' ')}], cluster ${fmt(m('cluster', 'rate'))} [${runs.cluster!.map((r) => fmt(r.rate)).join(' ')}], ratio ${ratio.toFixed(2)}×; CPU µs/msg single ${m('single', 'cpuPerMessage').toFixed(2)}, cluster (A+B+nats) ${m('cluster', 'cpuPerMessage').toFixed(2)}${latency}`,
  );
}
rmSync(work, { recursive: true, force: true });
