// The nats-server `culex start --workers` runs when no `--cluster` is given: one standalone
// server on 127.0.0.1, JetStream on, its store inside the data directory, started again if it
// dies, stopped by its PID. The workers join it as cluster nodes.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { CulexError, ErrorCode } from '../errors.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The nats-server executable on PATH, or a CulexError naming it and how to install it. */
export function findNatsServer(path = process.env.PATH ?? ''): string {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir || '.', 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new CulexError(
    ErrorCode.NatsServerMissing,
    '--workers without --cluster runs a local NATS server, but nats-server is not on PATH: ' +
      'install it (Debian/Ubuntu: apt-get install nats-server; or https://nats.io) or give ' +
      '--cluster nats://host:4222',
  );
}

/** A loopback port that was free a moment ago (closed again, so a server can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class LocalNats {
  private child?: ChildProcess;
  private output = '';
  private stopping = false;
  private restarts = 0;

  private constructor(
    private readonly executable: string,
    private readonly storeDir: string,
    readonly port: number,
    private readonly monitorPort: number,
    private readonly log: (line: string) => void,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts nats-server and resolves once JetStream answers /healthz. */
  static async start(storeDir: string, log: (line: string) => void): Promise<LocalNats> {
    const executable = findNatsServer();
    await stopStale(storeDir, log);
    const [port, monitorPort] = [await freePort(), await freePort()];
    const nats = new LocalNats(executable, storeDir, port, monitorPort, log);
    nats.spawn();
    try {
      await nats.healthy();
    } catch (error) {
      await nats.stop();
      throw error;
    }
    return nats;
  }

  private spawn(): void {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort)];
    args.push('-n', 'culex-workers', '-js', '-sd', this.storeDir, '-P', pidFile(this.storeDir));
    const child = spawn(this.executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.output = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.output = (this.output + chunk).slice(-4_000);
    });
    child.on('error', (error) => {
      this.output += `\nspawn failed: ${error.message}`;
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    this.child = child;
  }

  /** A nats-server that dies is started again (same port and store), after a bounded backoff. */
  private exited(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.stopping || child !== this.child) return;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts++, 6));
    this.log(`nats-server (pid ${child.pid}) exited (${signal ?? code}); restart in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopping) this.spawn();
    }, delay).unref();
  }

  /** JetStream recovers its store before /healthz answers: seconds with many KV keys. */
  private async healthy(ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.child?.exitCode !== null)
        throw new CulexError(
          ErrorCode.ClusterUnavailable,
          `the local nats-server exited: ${this.output.trim()}`,
        );
      const res = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`, {
        signal: AbortSignal.timeout(1_000),
      }).catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline)
        throw new CulexError(
          ErrorCode.ClusterUnavailable,
          `the local nats-server was not ready in ${ms} ms: ${this.output.trim()}`,
        );
      await sleep(100);
    }
  }

  /** SIGTERM (SIGKILL after `graceMs`); resolves when the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort when the supervisor exits without stop(): no server is left behind. */
  killNow(): void {
    this.stopping = true;
    if (this.child?.exitCode === null) this.child.kill('SIGKILL');
  }
}

const pidFile = (storeDir: string) => join(storeDir, 'nats-server.pid');

/**
 * A supervisor killed with SIGKILL cannot stop its nats-server (its workers do exit): the
 * next start on the same data directory stops it, found by its PID file and store directory.
 */
async function stopStale(storeDir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(storeDir), 'utf8').trim());
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!command.some((a) => a.endsWith('nats-server')) || !command.includes(storeDir)) return;
  } catch {
    return;
  }
  log(`stopping nats-server pid ${pid} left by a previous run on ${storeDir}`);
  // Two servers on one store must never run: one that does not stop in 10 s is killed.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    process.kill(pid, signal);
    for (let i = 0; i < 100 && running(pid); i++) await sleep(100);
    if (!running(pid)) return;
  }
  throw new CulexError(
    ErrorCode.ClusterUnavailable,
    `nats-server pid ${pid}, left by a previous run on ${storeDir}, does not stop`,
  );
}

/** Whether a process runs (a zombie no longer does: its parent, here init, may never reap it). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
