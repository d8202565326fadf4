// The Culex nodes of bench:chaos (its NATS cluster: nats-servers.ts), each node on a fixed
// port and data directory so that a SIGKILLed node comes back as itself.
// Every process is started here and stopped by its PID; every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CULEX_MAIN, culexArgs, freePort, stopChild } from './broker-process.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** To debug a run: every node's whole log, at info level, in <dir>/<node>.log. */
const LOG_DIR = process.env.CHAOS_LOG_DIR;

/** One Culex node: its name, port and data directory stay across kills. */
export interface ChaosNode {
  name: string;
  port: number;
  dataDir: string;
  child?: ChildProcess;
  /** Warnings and errors it logged (log level warn), over all its lives. */
  log: string[];
}

/** Culex nodes with `--store lmdb`, one data directory each, on one NATS cluster. */
export class CulexNodes {
  readonly nodes: ChaosNode[] = [];

  constructor(
    private readonly dir: string,
    private readonly natsUrls: string,
    private readonly env: Record<string, string>,
  ) {}

  async add(name: string): Promise<ChaosNode> {
    const node: ChaosNode = {
      name,
      port: await freePort(),
      dataDir: join(this.dir, name),
      log: [],
    };
    mkdirSync(node.dataDir, { recursive: true });
    this.nodes.push(node);
    await this.start(node);
    return node;
  }

  running(node: ChaosNode): boolean {
    return node.child !== undefined && node.child.exitCode === null && !node.child.signalCode;
  }

  /** Starts (or restarts) the node on its port and data directory; waits until it listens. */
  async start(node: ChaosNode, timeoutMs = 20_000): Promise<void> {
    const quiet = culexArgs(node.port, [
      ...['--store', 'lmdb', '--data-dir', node.dataDir],
      ...['--cluster', this.natsUrls, '--node-name', node.name],
    ]);
    const args = LOG_DIR ? quiet.map((a) => (a === 'warn' ? 'info' : a)) : quiet;
    const child = spawn(process.execPath, [CULEX_MAIN, ...args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node.child = child;
    // Pino writes to stdout, the start-up banner goes to stderr: both are kept, line by line.
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        node.log.push(...lines.filter((l) => l.length > 0));
        if (LOG_DIR)
          appendFileSync(join(LOG_DIR, `${node.name}.log`), lines.map((l) => `${l}\n`).join(''));
      });
    }
    const deadline = Date.now() + timeoutMs;
    while (!node.log.some((l) => l.includes('Listening on')) || !this.running(node)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`culex ${node.name} exited (${child.exitCode}): ${node.log.join('\n')}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`culex ${node.name} did not listen in ${timeoutMs} ms`);
      }
      await sleep(20);
    }
    node.log = node.log.filter((l) => !l.includes('Listening on'));
  }

  /** SIGKILL: no goodbye to NATS or its clients. */
  async kill(node: ChaosNode): Promise<void> {
    if (node.child !== undefined) await stopChild(node.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.child ? stopChild(n.child) : undefined)));
  }
}
