// `npm run bench:million [-- --connections N --minutes M]`: one machine, `culex start
// --workers W` (W = N / 19,000: a process holds at most ~20,000 open files here) with its own
// nats-server, and N idle MQTT connections from load processes (bench/million-load.ts, one per
// source address 127.0.0.x), each subscribed to its own topic. Prints the connect rate over
// time and the time to reach N; then publishes to 10,000 randomly chosen topics and checks that
// every message arrives; then the memory of every broker and NATS process and the broker-side
// KiB per connection. Sets the kernel settings it needs and says which. Bounded in time, and
// it stops early (saying why) when no connection progresses for a minute or the machine runs
// short of memory; every process it started is stopped by its PID.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../src/client/index.js';
import { CULEX_MAIN, freePort, stopChild } from './broker-process.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const TARGET = arg('connections', 1_000_000);
const PER_PROCESS = arg('per-process', 19_000);
const MINUTES = arg('minutes', 30);
const CHECKS = arg('publish', 10_000);
const IN_PROGRESS = arg('in-progress', 1_000);
/** Below this much available memory the run stops: other work shares the machine. */
const MEMORY_FLOOR_KIB = 1.5 * 1024 * 1024;

interface Progress {
  /** Whether the loader still has connections to open or in flight. */
  opening: boolean;
  connected: number;
  subscribed: number;
  failed: number;
  lastError: string;
  rss: number;
}

/** Values the run changed, put back when it ends. */
const changed: [string, string][] = [];

/** Kernel settings: the ephemeral port range for 19,000 connections per source address. */
function tuneKernel(): string[] {
  const wanted: [string, string][] = [
    ['net.ipv4.ip_local_port_range', '1024 65535'],
    ['net.core.somaxconn', '65535'],
    ['net.ipv4.tcp_max_syn_backlog', '65535'],
    ['fs.file-max', '4194304'],
    ['fs.nr_open', '1048576'],
  ];
  const report: string[] = [];
  for (const [key, value] of wanted) {
    const file = `/proc/sys/${key.replaceAll('.', '/')}`;
    const before = readFileSync(file, 'utf8').trim().replace(/\s+/g, ' ');
    try {
      execFileSync('sysctl', ['-qw', `${key}=${value}`], { stdio: 'ignore' });
    } catch {}
    const after = readFileSync(file, 'utf8').trim().replace(/\s+/g, ' ');
    if (after !== before) changed.push([key, before]);
    report.push(`${key}: ${before} -> ${after}${after === value ? '' : ' (not allowed here)'}`);
  }
  const limit = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  report.push(`open files per process (ulimit -Hn): ${limit} (root cannot raise it here)`);
  return report;
}

function memAvailableKib(): number {
  return Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
}

/** RSS and PSS (shared pages split between the processes sharing them), KiB. */
function memoryOf(pid: number): { rss: number; pss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

const isWorker = (pid: number) =>
  readFileSync(`/proc/${pid}/environ`, 'latin1').includes('CULEX_WORKER_INDEX=');

async function startBroker(dir: string, port: number, workers: number) {
  const args = ['start', '--workers', String(workers), '--store', 'memory', '--host', '127.0.0.1'];
  args.push('--port', String(port), '--ws-port', '0', '--http-port', '0');
  args.push('--data-dir', join(dir, 'data'), '--node-name', 'm', '--log-level', 'warn');
  const child = spawn(process.execPath, [CULEX_MAIN, ...args], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000 + workers * 5_000;
  while (!output.includes('workers ready')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`culex --workers ${workers} did not start: ${output}`);
    await sleep(200);
  }
  return { child, output: () => output };
}

function startLoaders(port: number, count: number, progress: Progress[], got: Set<string>) {
  const loaders: ChildProcess[] = [];
  // CONNECTs in progress over all loaders: each claims its client id in the cluster (a KV
  // write every worker hears); 21,000 at once made the claims time out (10 s) and fail.
  const perLoader = Math.max(4, Math.floor(IN_PROGRESS / Math.ceil(count / PER_PROCESS)));
  for (let i = 0; i < Math.ceil(count / PER_PROCESS); i++) {
    const share = Math.min(PER_PROCESS, count - i * PER_PROCESS);
    // 127.0.0.2, .3, …: each source address has its own ephemeral ports.
    const source = `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`;
    const script = join(import.meta.dirname, 'million-load.js');
    const args = ['127.0.0.1', String(port), source, String(i), String(share), String(perLoader)];
    const child = fork(script, args, { execArgv: ['--max-semi-space-size=1'] });
    progress[i] = { opening: true, connected: 0, subscribed: 0, failed: 0, lastError: '', rss: 0 };
    child.on('message', (m: Progress & { got?: string }) => {
      if (m.got !== undefined) got.add(m.got);
      else if ('connected' in m) progress[i] = m;
    });
    loaders.push(child);
  }
  return loaders;
}

const sum = (progress: Progress[], key: 'connected' | 'subscribed' | 'failed') =>
  progress.reduce((total, p) => total + p[key], 0);

/** The in-flight budget shared among the loaders still opening, so the last ones go as fast. */
function shareBudget(loaders: ChildProcess[], progress: Progress[]): void {
  const opening = progress.filter((p) => p.opening).length;
  const share = Math.max(4, Math.floor(IN_PROGRESS / Math.max(opening, 1)));
  loaders.forEach((loader, i) => {
    if (progress[i]!.opening && loader.connected) loader.send({ inProgress: share });
  });
}

/** Waits for every connection to subscribe; prints the rate every 5 s. Returns why it ended. */
async function holdConnections(
  loaders: ChildProcess[],
  progress: Progress[],
  started: number,
  interrupted: () => boolean,
): Promise<string> {
  const deadline = started + MINUTES * 60_000;
  let last = 0;
  let lastAt = started;
  let progressedAt = started;
  console.log('   s  subscribed  conn/s (last 5 s)  failed  MemAvailable');
  for (;;) {
    await sleep(5_000);
    shareBudget(loaders, progress);
    const now = Date.now();
    const subscribed = sum(progress, 'subscribed');
    const rate = ((subscribed - last) * 1000) / (now - lastAt);
    if (subscribed > last) progressedAt = now;
    [last, lastAt] = [subscribed, now];
    const available = memAvailableKib();
    console.log(
      `${((now - started) / 1000).toFixed(0).padStart(4)}  ${String(subscribed).padStart(10)}  ${rate.toFixed(0).padStart(17)}  ${String(sum(progress, 'failed')).padStart(6)}  ${(available / 1048576).toFixed(1)} GiB`,
    );
    if (subscribed + sum(progress, 'failed') >= TARGET) return 'all connections opened';
    if (available < MEMORY_FLOOR_KIB)
      return `stopped: MemAvailable below ${MEMORY_FLOOR_KIB >> 20} GiB`;
    if (now - progressedAt > 60_000) return 'stopped: no progress for 60 s';
    if (now > deadline) return `stopped: ${MINUTES} min bound reached`;
    if (interrupted()) return 'stopped: interrupted';
  }
}

/** Publishes to `CHECKS` random subscribed topics (QoS 1) and counts what arrived. */
async function checkDelivery(
  port: number,
  loaders: ChildProcess[],
  progress: Progress[],
  got: Set<string>,
) {
  const total = sum(progress, 'subscribed');
  const topics: string[] = [];
  await Promise.all(
    loaders.map(
      (loader, i) =>
        new Promise<void>((resolve) => {
          const want = Math.round((CHECKS * progress[i]!.subscribed) / Math.max(total, 1));
          const onMessage = (m: { sampled?: string[] }) => {
            if (!m.sampled) return;
            loader.off('message', onMessage);
            topics.push(...m.sampled);
            resolve();
          };
          loader.on('message', onMessage);
          loader.send({ sample: want });
        }),
    ),
  );
  const publisher = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'million-publisher' });
  const t0 = performance.now();
  await Promise.all(topics.map((topic) => publisher.publish(topic, topic, { qos: 1 })));
  const deadline = Date.now() + 60_000;
  while (topics.some((t) => !got.has(t)) && Date.now() < deadline) await sleep(200);
  const arrived = topics.filter((t) => got.has(t)).length;
  await publisher.end();
  return { sent: topics.length, arrived, ms: performance.now() - t0 };
}

function memoryTable(brokerPid: number, connections: number): void {
  const rows: [string, number, { rss: number; pss: number }][] = [];
  rows.push(['culex supervisor', brokerPid, memoryOf(brokerPid)]);
  for (const pid of childrenOf(brokerPid)) {
    const name = isWorker(pid) ? 'culex worker' : 'nats-server';
    rows.push([name, pid, memoryOf(pid)]);
  }
  console.log('\nprocess            pid      RSS MiB   PSS MiB');
  for (const [name, pid, m] of rows)
    console.log(
      `${name.padEnd(18)} ${String(pid).padEnd(8)} ${(m.rss / 1024).toFixed(1).padStart(8)}  ${(m.pss / 1024).toFixed(1).padStart(8)}`,
    );
  const culex = rows.filter(([n]) => n !== 'nats-server');
  const rss = culex.reduce((t, [, , m]) => t + m.rss, 0);
  const pss = culex.reduce((t, [, , m]) => t + m.pss, 0);
  const nats = rows.find(([n]) => n === 'nats-server')?.[2];
  console.log(
    `culex, all ${culex.length} processes: RSS ${(rss / 1048576).toFixed(2)} GiB, PSS ${(pss / 1048576).toFixed(2)} GiB; nats-server RSS ${((nats?.rss ?? 0) / 1048576).toFixed(2)} GiB`,
  );
  console.log(
    `broker side per connection (${connections} held): ${(rss / connections).toFixed(2)} KiB by RSS, ${(pss / connections).toFixed(2)} KiB by PSS (shared code counted once); with nats-server ${((pss + (nats?.pss ?? 0)) / connections).toFixed(2)} KiB`,
  );
}

/** What the workers logged (level warn and above), by message, most frequent first. */
function brokerWarnings(output: string): void {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const msg = String(JSON.parse(line).msg);
      counts.set(msg, (counts.get(msg) ?? 0) + 1);
    } catch {}
  }
  if (counts.size === 0) {
    console.log('broker warnings: none');
    return;
  }
  console.log('broker warnings (count, message):');
  for (const [msg, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10))
    console.log(`  ${String(n).padStart(7)}  ${msg}`);
}

async function main(): Promise<void> {
  console.log(
    `bench:million: ${TARGET} connections, ${PER_PROCESS} per process, bound ${MINUTES} min`,
  );
  for (const line of tuneKernel()) console.log(`  kernel: ${line}`);
  const workers = Math.ceil(TARGET / PER_PROCESS);
  const dir = mkdtempSync(join(tmpdir(), 'culex-million-'));
  const port = await freePort();
  const memoryAtStart = memAvailableKib();
  const broker = await startBroker(dir, port, workers);
  console.log(`culex --workers ${workers} ready (supervisor pid ${broker.child.pid})`);
  const progress: Progress[] = [];
  const got = new Set<string>();
  const loaders: ChildProcess[] = [];
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const started = Date.now();
    loaders.push(...startLoaders(port, TARGET, progress, got));
    const why = await holdConnections(loaders, progress, started, () => interrupted);
    const held = sum(progress, 'subscribed');
    console.log(
      `${why}: ${held} connections subscribed in ${((Date.now() - started) / 1000).toFixed(0)} s (${sum(progress, 'failed')} failed${progress.find((p) => p.lastError)?.lastError ? `, e.g. ${progress.find((p) => p.lastError)!.lastError}` : ''})`,
    );
    const check = await checkDelivery(port, loaders, progress, got);
    console.log(
      `delivery check: ${check.arrived}/${check.sent} messages arrived (${check.sent - check.arrived} missing) in ${(check.ms / 1000).toFixed(1)} s`,
    );
    memoryTable(broker.child.pid!, held);
    brokerWarnings(broker.output());
    const loaderRss = progress.reduce((t, p) => t + p.rss, 0);
    console.log(
      `load generators: ${loaders.length} processes, RSS ${(loaderRss / 2 ** 30).toFixed(2)} GiB; machine MemAvailable ${(memoryAtStart / 1048576).toFixed(1)} -> ${(memAvailableKib() / 1048576).toFixed(1)} GiB`,
    );
  } finally {
    for (const loader of loaders) loader.kill('SIGKILL');
    await stopChild(broker.child, 'SIGTERM', 60_000);
    rmSync(dir, { recursive: true, force: true });
    restoreKernel();
  }
}

function restoreKernel(): void {
  for (const [key, value] of changed) {
    try {
      execFileSync('sysctl', ['-qw', `${key}=${value}`], { stdio: 'ignore' });
      console.log(`  kernel: ${key} back to ${value}`);
    } catch {}
  }
}

await main();
process.exit(0);
