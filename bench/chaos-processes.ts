// The processes of bench:chaos: a NATS cluster (JetStream, routes) and Culex nodes on it,
// each node on a fixed port and data directory so that a SIGKILLed node comes back as itself.
// Every process is started here and stopped by its PID; every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CULEX_MAIN, culexArgs, freePort, stopProcess } from './broker-process.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await stopProcess(child);
  clearTimeout(timer);
}

interface NatsServer {
  name: string;
  clientPort: number;
  monitorPort: number;
  routePort: number;
  child?: ChildProcess;
  output: string;
}

/** `count` nats-server processes routed into one cluster, JetStream on each, under `dir`. */
export class NatsServers {
  private constructor(
    readonly servers: NatsServer[],
    private readonly dir: string,
  ) {}

  static async start(dir: string, count: number): Promise<NatsServers> {
    const servers: NatsServer[] = [];
    for (let i = 1; i <= count; i++) {
      const [clientPort, monitorPort, routePort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      servers.push({ name: `s${i}`, clientPort, monitorPort, routePort, output: '' });
    }
    const nats = new NatsServers(servers, dir);
    try {
      for (const server of servers) nats.spawn(server);
      await Promise.all(servers.map((s) => nats.healthy(s)));
    } catch (err) {
      await nats.stop();
      throw err;
    }
    return nats;
  }

  /** nats://… of every server, for `--cluster`. */
  get urls(): string {
    return this.servers.map((s) => `nats://127.0.0.1:${s.clientPort}`).join(',');
  }

  private spawn(server: NatsServer): void {
    const routes = this.servers.map((s) => `nats://127.0.0.1:${s.routePort}`).join(',');
    const cluster =
      this.servers.length > 1
        ? ['--cluster_name', 'culex-chaos', '--cluster', `nats://127.0.0.1:${server.routePort}`]
        : [];
    const args = [
      ...['-a', '127.0.0.1', '-p', String(server.clientPort), '-m', String(server.monitorPort)],
      ...['-n', server.name, ...cluster],
      ...(this.servers.length > 1 ? ['--routes', routes] : []),
      ...['-js', '-sd', join(this.dir, server.name)],
    ];
    const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      server.output = (server.output + chunk).slice(-8_000);
    });
    child.on('error', (err) => {
      server.output += `\nspawn failed: ${err.message}`;
    });
    server.child = child;
  }

  /** Waits until /healthz answers 200 (JetStream ready, meta leader known). */
  private async healthy(server: NatsServer, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (server.child?.exitCode !== null)
        throw new Error(`nats-server ${server.name} exited: ${server.output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${server.monitorPort}/healthz`, {
          signal: AbortSignal.timeout(1_000),
        });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`nats-server ${server.name} not healthy in ${ms} ms: ${server.output}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => (s.child ? stopChild(s.child) : undefined)));
  }
}

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
    const args = culexArgs(node.port, [
      ...['--store', 'lmdb', '--data-dir', node.dataDir],
      ...['--cluster', this.natsUrls, '--node-name', node.name],
    ]);
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
    if (node.child !== undefined) await stopProcess(node.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.child ? stopChild(n.child) : undefined)));
  }
}
