// nats-server processes for benchmarks and tests: one standalone server, or several routed
// into one cluster, JetStream on each, on free loopback ports. Every process is stopped by
// its PID; every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './broker-process.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface NatsServer {
  name: string;
  clientPort: number;
  monitorPort: number;
  routePort: number;
  dir: string;
  child?: ChildProcess;
  output: string;
}

export interface NatsServersOptions {
  /** Where the servers keep their JetStream stores; default a temp dir removed by close(). */
  dir?: string;
  /**
   * The servers do not tell clients about each other, so a client knows only the URLs it was
   * given (a node behind a proxy cannot go around it).
   */
  noAdvertise?: boolean;
}

export class NatsServers {
  private constructor(
    readonly servers: NatsServer[],
    private readonly options: NatsServersOptions,
    private readonly ownDir: string | undefined,
  ) {}

  /** `count` servers (1: standalone), healthy (JetStream ready) when this resolves. */
  static async start(count: number, options: NatsServersOptions = {}): Promise<NatsServers> {
    // A free port may be taken by another process before the server binds it: new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsServers.startOnce(count, options);
      } catch (err) {
        if (attempt === 3 || !/address already in use/.test(String(err))) throw err;
      }
    }
  }

  private static async startOnce(count: number, options: NatsServersOptions): Promise<NatsServers> {
    const ownDir = options.dir ? undefined : mkdtempSync(join(tmpdir(), 'culex-nats-'));
    const root = options.dir ?? ownDir!;
    const servers: NatsServer[] = [];
    const ports = new Set<number>();
    while (ports.size < count * 3) ports.add(await freePort());
    const free = [...ports];
    for (let i = 0; i < count; i++) {
      const [clientPort, monitorPort, routePort] = free.slice(i * 3, i * 3 + 3) as [
        number,
        number,
        number,
      ];
      const name = `s${i + 1}`;
      servers.push({ name, clientPort, monitorPort, routePort, dir: join(root, name), output: '' });
    }
    const nats = new NatsServers(servers, options, ownDir);
    try {
      for (const server of servers) nats.spawn(server);
      await Promise.all(servers.map((s) => nats.healthy(s)));
    } catch (err) {
      await nats.close();
      throw err;
    }
    return nats;
  }

  /** nats://… of every server, for `--cluster`. */
  get urls(): string {
    return this.servers.map((s) => `nats://127.0.0.1:${s.clientPort}`).join(',');
  }

  private spawn(server: NatsServer): void {
    const clustered = this.servers.length > 1;
    const routes = this.servers.map((s) => `nats://127.0.0.1:${s.routePort}`).join(',');
    const args = [
      ...['-a', '127.0.0.1', '-p', String(server.clientPort), '-m', String(server.monitorPort)],
      ...['-n', server.name, '-js', '-sd', server.dir],
      ...(clustered
        ? ['--cluster_name', 'culex', '--cluster', `nats://127.0.0.1:${server.routePort}`]
        : []),
      ...(clustered ? ['--routes', routes] : []),
      ...(this.options.noAdvertise ? ['--no_advertise'] : []),
    ];
    const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    server.output = '';
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
      const res = await fetch(`http://127.0.0.1:${server.monitorPort}/healthz`, {
        signal: AbortSignal.timeout(1_000),
      }).catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline)
        throw new Error(`nats-server ${server.name} not healthy in ${ms} ms: ${server.output}`);
      await sleep(100);
    }
  }

  /** Index of the server a client connection named `name` is on (monitoring /connz). */
  async serverOf(name: string): Promise<number | undefined> {
    for (const [i, server] of this.servers.entries()) {
      if (server.child?.exitCode !== null) continue;
      const res = await fetch(`http://127.0.0.1:${server.monitorPort}/connz?limit=4096`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await res.json()) as { connections?: { name?: string }[] };
      if (body.connections?.some((c) => c.name === name)) return i;
    }
    return undefined;
  }

  /** SIGKILL one server; its store directory stays for the restart. */
  async kill(index: number): Promise<void> {
    const child = this.servers[index]!.child;
    if (child !== undefined) await stopChild(child, 'SIGKILL');
  }

  /** Starts a killed server again on the same ports and store directory. */
  async restart(index: number): Promise<void> {
    const server = this.servers[index]!;
    this.spawn(server);
    await this.healthy(server);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => (s.child ? stopChild(s.child) : undefined)));
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
  }
}
