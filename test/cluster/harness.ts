// The cluster test bench: a 3-server NATS cluster with JetStream, `culex start --cluster`
// processes on it, and small helpers around MQTT.js. Every process started here is stopped
// by its PID in `Cluster.close()`, also when a test fails; every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, {
  type IClientOptions,
  type IConnackPacket,
  type IDisconnectPacket,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import { CULEX_MAIN, culexArgs, freePort, stopChild } from '../../bench/broker-process.js';
import { NatsServers } from '../../bench/nats-servers.js';

/**
 * A CONNECT claims its client id in a replicated KV bucket, retried for up to 10 s while the
 * bucket elects a leader (a NATS server lost, or a loaded machine): give it that, and more.
 */
const CONNECT_MS = 15_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `condition` every 20 ms; throws after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export { stopChild };

/** One `culex start --cluster` process. */
export interface CulexNode {
  name: string;
  port: number;
  url: string;
  /** http://127.0.0.1:<port> of its HTTP API, when started with `http`. */
  httpUrl?: string;
  child: ChildProcess;
  output: () => string;
}

/** How a node is started; Cluster.start's options apply to every node, startNode's on top. */
export interface NodeOptions {
  /**
   * 'lmdb': sessions live in the cluster (KV), each node with a data directory of its own,
   * kept across restarts of that node. Default 'memory'.
   */
  store?: 'memory' | 'lmdb';
  /** NATS URLs for `--cluster` (default: every server of the NATS cluster). */
  servers?: string;
  /** More environment, e.g. CULEX_CLUSTER_CUTOFF_SECONDS. */
  env?: Record<string, string>;
  /** Serve the HTTP API on a free port (CulexNode.httpUrl). */
  http?: boolean;
  /** A YAML configuration file (`-c`). */
  config?: string;
}

/** The outcome of a `culex start` that may exit: its exit code and what it printed. */
export interface Attempt {
  node?: CulexNode;
  exitCode?: number | null;
  output: string;
}

/** Culex nodes of one test file, all on one NATS cluster and one subject prefix. */
export class Cluster {
  readonly nodes: CulexNode[] = [];
  private readonly clients = new Set<MqttClient>();

  /** Data directories of lmdb nodes, by node name: a restarted node finds its own again. */
  private readonly dataDirs = new Map<string, string>();
  private root: string | undefined;

  private constructor(
    readonly nats: NatsServers,
    readonly prefix: string,
    private readonly defaults: NodeOptions,
  ) {}

  /** A NATS cluster and Culex nodes named `names` (started one after the other). */
  static async start(
    prefix: string,
    names: string[],
    options: { nodes?: NodeOptions; noAdvertise?: boolean } = {},
  ): Promise<Cluster> {
    // 3 nats-servers routed together, JetStream on each.
    const nats = await NatsServers.start(3, { noAdvertise: options.noAdvertise });
    const cluster = new Cluster(nats, `${prefix}${process.pid}`, options.nodes ?? {});
    try {
      for (const name of names) await cluster.startNode(name);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  node(name: string): CulexNode {
    // A node killed by a signal has no exit code: its signal code tells it is gone.
    const node = this.nodes.find(
      (n) => n.name === name && n.child.exitCode === null && n.child.signalCode === null,
    );
    if (node === undefined) throw new Error(`no running node ${name}`);
    return node;
  }

  /** A directory for this test file's files, removed in close(). */
  tempDir(): string {
    this.root ??= mkdtempSync(join(tmpdir(), 'culex-cluster-'));
    return this.root;
  }

  private dataDir(name: string): string {
    let dir = this.dataDirs.get(name);
    if (dir === undefined) {
      dir = join(this.tempDir(), `data-${name}`);
      this.dataDirs.set(name, dir);
    }
    return dir;
  }

  /** Starts a node; throws if it exits or does not listen within `timeoutMs`. */
  async startNode(name: string, timeoutMs = 20_000, options: NodeOptions = {}): Promise<CulexNode> {
    const attempt = await this.tryStartNode(name, timeoutMs, options);
    if (attempt.node === undefined)
      throw new Error(`culex node ${name} exited with ${attempt.exitCode}: ${attempt.output}`);
    return attempt.node;
  }

  /** Starts a node, resolving either when it listens or when it exits. */
  async tryStartNode(name: string, timeoutMs = 20_000, given: NodeOptions = {}): Promise<Attempt> {
    const options = { ...this.defaults, ...given, env: { ...this.defaults.env, ...given.env } };
    const port = await freePort();
    const httpPort = options.http ? await freePort() : undefined;
    const store = options.store ?? 'memory';
    const args = culexArgs(port, [
      ...['--store', store, '--cluster', options.servers ?? this.nats.urls, '--node-name', name],
      ...(store === 'lmdb' ? ['--data-dir', this.dataDir(name)] : []),
      // After culexArgs' `--http-port 0`: the last one counts.
      ...(httpPort === undefined ? [] : ['--http-port', String(httpPort)]),
      ...(options.config === undefined ? [] : ['-c', options.config]),
    ]);
    const child = spawn(process.execPath, [CULEX_MAIN, ...args], {
      env: {
        ...process.env,
        CULEX_CLUSTER_REPLICAS: '3',
        CULEX_CLUSTER_PREFIX: this.prefix,
        ...options.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      output = (output + chunk).slice(-16_000);
    });
    const node: CulexNode = {
      name,
      port,
      url: `mqtt://127.0.0.1:${port}`,
      httpUrl: httpPort === undefined ? undefined : `http://127.0.0.1:${httpPort}`,
      child,
      output: () => output,
    };
    this.nodes.push(node);
    const deadline = Date.now() + timeoutMs;
    while (!output.includes('Listening on')) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await sleep(50); // the last of stderr
        return { exitCode: child.exitCode, output };
      }
      if (Date.now() > deadline) {
        await stopChild(child, 'SIGKILL');
        throw new Error(`culex node ${name} did not listen in ${timeoutMs} ms: ${output}`);
      }
      await sleep(20);
    }
    return { node, output };
  }

  /** SIGKILL: no goodbye to NATS, its claims and name key stay behind. */
  async killNode(name: string): Promise<void> {
    await stopChild(this.node(name).child, 'SIGKILL');
  }

  async stopNode(name: string): Promise<void> {
    await stopChild(this.node(name).child);
  }

  /** An MQTT.js client connected to node `name` (5.0 unless said), closed in close(). */
  async connect(name: string, options: IClientOptions): Promise<MqttClient> {
    const client = await mqtt.connectAsync(this.node(name).url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_MS,
      ...options,
    });
    this.clients.add(client);
    return client;
  }

  /** A client whose CONNECT may fail or be answered late: never throws, never reconnects. */
  connectRaw(name: string, options: IClientOptions): MqttClient {
    const client = mqtt.connect(this.node(name).url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_MS,
      ...options,
    });
    client.on('error', () => {});
    this.clients.add(client);
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end(true);
    this.clients.clear();
    await Promise.all(this.nodes.map((n) => stopChild(n.child)));
    await this.nats.close();
    if (this.root !== undefined) rmSync(this.root, { recursive: true, force: true });
  }
}

/** A received PUBLISH, as MQTT.js gives it. */
export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** Every message a client receives from now on. */
export function inbox(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, packet }));
  return got;
}

/** Waits until `got` holds `count` messages, or `ms` passed; returns them (no throw). */
export async function collect(got: Received[], count: number, ms = 5_000): Promise<Received[]> {
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline) await sleep(20);
  return got;
}

/** The DISCONNECT packet the server sends, or 'closed' if the connection ends without one. */
export function nextDisconnect(client: MqttClient): Promise<IDisconnectPacket | 'closed'> {
  return new Promise((resolve) => {
    client.once('disconnect', resolve);
    client.once('close', () => setImmediate(() => resolve('closed')));
  });
}

/**
 * Waits until messages published by `publisher` on `topic` reach `got`, publishing one probe
 * (payload `probe`) every 100 ms: a subscription made on another node is known to the
 * publisher's NATS server only once NATS has propagated the interest along its routes.
 * Callers filter the probes out by payload (`real`).
 */
export async function propagated(
  publisher: MqttClient,
  topic: string,
  got: Received[],
  ms = 5_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  const from = got.length; // only probes of this call count
  const seen = () =>
    got.slice(from).some((m) => m.topic === topic && m.payload.toString() === 'probe');
  while (!seen()) {
    if (Date.now() > deadline) throw new Error(`no probe on ${topic} arrived within ${ms} ms`);
    await publisher.publishAsync(topic, 'probe', { qos: 0 });
    const next = Date.now() + 100;
    while (!seen() && Date.now() < next) await sleep(10);
  }
}

/** Messages of `got` that are not probes. */
export const real = (got: Received[]) => got.filter((m) => m.payload.toString() !== 'probe');

/** PUBACK / PUBREC packets a client receives from now on (publishAsync hides reason codes). */
export function acks(client: MqttClient): { cmd: string; reasonCode?: number }[] {
  const got: { cmd: string; reasonCode?: number }[] = [];
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' || packet.cmd === 'pubrec')
      got.push({ cmd: packet.cmd, reasonCode: (packet as { reasonCode?: number }).reasonCode });
  });
  return got;
}

/** Resolves with the CONNACK, or rejects when the connection fails first (bounded). */
export function connack(client: MqttClient, ms = 10_000): Promise<IConnackPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no CONNACK in ${ms} ms`)), ms);
    client.once('connect', (packet) => {
      clearTimeout(timer);
      resolve(packet);
    });
    client.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before CONNACK'));
    });
  });
}
