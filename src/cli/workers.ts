// `culex start --workers N|auto`: N broker processes on one machine acting as one broker.
// Node's `cluster` module shares the listening ports: the primary (this supervisor) accepts
// and hands connections round robin to the workers (Node 20 has no SO_REUSEPORT). Each
// worker is a cluster node (docs/CLUSTER.md) named <base>-w<i> with its own data directory
// <dataDir>/w<i>, joined over NATS: --cluster's, or a nats-server this supervisor runs in
// <dataDir>/nats. Worker 1 alone serves HTTP, so the machine has one API/dashboard port and
// the cluster endpoints of the API answer for every worker.
import cluster, { type Worker } from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CulexConfig } from '../config.js';
import { CulexError, ErrorCode } from '../errors.js';
import { LocalNats } from './nats-server.js';

/** Environment a worker is started with: its index, and the NATS URL when the supervisor runs it. */
const INDEX_ENV = 'CULEX_WORKER_INDEX';
const NATS_ENV = 'CULEX_WORKER_NATS';
/** Crashes in a row before serving after which the supervisor gives up. */
const MAX_EARLY_FAILURES = 5;
/** A worker that served this long has its backoff reset. */
const STABLE_MS = 30_000;
/** How long SIGTERM may take before the workers are killed. */
const STOP_GRACE_MS = 15_000;

/** `--workers` value: a count from 1 to 1024, or `auto` (one per core). */
export function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 1024)
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `invalid value ${JSON.stringify(value)} for '--workers': expected a whole number from 1 to 1024, or auto`,
    );
  return count;
}

/** In a worker process: its index (1-based), else undefined. */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env[INDEX_ENV]) : undefined;
}

/** The NATS URL a worker joins when the supervisor runs nats-server (`--cluster` is not given). */
export function workerNats(): string | undefined {
  return cluster.isWorker ? process.env[NATS_ENV] || undefined : undefined;
}

/** A worker's own settings: node name, data directory, and HTTP on worker 1 only. */
export function applyWorker(config: CulexConfig, index: number): void {
  const cluster = config.cluster!;
  cluster.nodeName = `${cluster.nodeName}-w${index}`;
  config.broker.nodeName = cluster.nodeName;
  // API keys made by `culex apikey --data-dir D` stay where that command writes them.
  config.http.apiKeyFile ??= join(config.dataDir, 'apikeys.yaml');
  config.dataDir = join(config.dataDir, `w${index}`);
  if (index !== 1) config.httpPort = 0;
}

/**
 * Workers are tuned for many connections: a young generation of 1 MiB semi-spaces instead
 * of 16, and `--optimize-for-size` (V8 grows the old generation less before collecting). A
 * cluster worker holding 16,000 subscribed idle connections grew by 5.6 KiB per connection
 * with both instead of 10.7 with the semi-spaces alone (heap after a full GC the same: the
 * difference is garbage not yet collected). Flags NODE_OPTIONS names itself win.
 */
function workerV8Flags(): string[] {
  const own = process.env.NODE_OPTIONS ?? '';
  const flags: string[] = [];
  if (!/semi-space/.test(own)) flags.push('--max-semi-space-size=1');
  if (!/optimize-for-size/.test(own)) flags.push('--optimize-for-size');
  return flags;
}

/** Tells the supervisor that this worker serves. */
export function reportReady(): void {
  process.send?.({ culex: 'ready' });
}

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  /** Crashes since it last served (for the backoff and the give-up). */
  failures: number;
  ready: boolean;
}

export class WorkerSupervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private announced = false;

  private constructor(
    private readonly count: number,
    private readonly nats: LocalNats | undefined,
    private readonly clusterUrls: string,
  ) {}

  /** Starts NATS when needed and `count` workers; returns once they are forked. */
  static async start(config: CulexConfig, count: number): Promise<WorkerSupervisor> {
    let nats: LocalNats | undefined;
    if (!config.cluster?.servers.length) {
      const storeDir = join(config.dataDir, 'nats');
      mkdirSync(storeDir, { recursive: true });
      nats = await LocalNats.start(storeDir, say);
      process.once('exit', () => nats?.killNow());
    }
    const urls = nats?.url ?? config.cluster!.servers.join(',');
    const supervisor = new WorkerSupervisor(count, nats, urls);
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ execArgv: [...workerV8Flags(), ...process.execArgv] });
    for (let index = 1; index <= count; index++) supervisor.fork(index);
    supervisor.onSignals();
    return supervisor;
  }

  /** PIDs of the workers running now, and of the nats-server this supervisor runs. */
  pids(): { workers: (number | undefined)[]; nats?: number } {
    return { workers: this.slots.map((s) => s.worker?.process.pid), nats: this.nats?.pid };
  }

  private fork(index: number): void {
    const slot = this.slots[index - 1] ?? { index, startedAt: 0, failures: 0, ready: false };
    this.slots[index - 1] = slot;
    const env = { [INDEX_ENV]: String(index), [NATS_ENV]: this.nats?.url ?? '' };
    const worker = cluster.fork(env);
    Object.assign(slot, { worker, startedAt: Date.now(), ready: false });
    worker.on('message', (message: { culex?: string }) => {
      if (message?.culex === 'ready') this.ready(slot);
    });
    worker.once('exit', (code, signal) => this.exited(slot, worker, code, signal));
  }

  private ready(slot: Slot): void {
    slot.ready = true;
    if (this.announced || !this.slots.every((s) => s.ready)) return;
    this.announced = true;
    say(`${this.count} workers ready, cluster ${this.clusterUrls}`);
  }

  /** A worker that dies is forked again after a backoff (0.5 s doubling to 30 s). */
  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.stopping || slot.worker !== worker) return;
    if (slot.ready && Date.now() - slot.startedAt > STABLE_MS) slot.failures = 0;
    if (!slot.ready && slot.failures + 1 >= MAX_EARLY_FAILURES) {
      say(
        `worker ${slot.index} failed ${MAX_EARLY_FAILURES} times before serving; stopping (${ErrorCode.WorkerFailed})`,
      );
      void this.stop(1);
      return;
    }
    const delay = Math.min(30_000, 500 * 2 ** slot.failures++);
    say(
      `worker ${slot.index} (pid ${worker.process.pid}) exited (${signal ?? code}); restart in ${delay} ms`,
    );
    setTimeout(() => {
      if (!this.stopping) this.fork(slot.index);
    }, delay);
  }

  /** SIGTERM to every worker (SIGKILL after a grace), then the nats-server; exits. */
  async stop(exitCode = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const running = this.slots.flatMap((s) => (s.worker && !s.worker.isDead() ? [s.worker] : []));
    await Promise.all(running.map((worker) => stopWorker(worker)));
    await this.nats?.stop();
    process.exit(exitCode);
  }

  private onSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.on(signal, () => {
        if (!this.stopping) say(`${signal}, stopping ${this.count} workers`);
        void this.stop();
      });
    // Reload (certificates, auth files) in every worker.
    process.on('SIGHUP', () => {
      for (const slot of this.slots) slot.worker?.process.kill('SIGHUP');
    });
  }
}

function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.process.kill('SIGTERM');
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
  return exited.finally(() => clearTimeout(timer));
}

function say(line: string): void {
  process.stderr.write(`culex: ${line}\n`);
}
