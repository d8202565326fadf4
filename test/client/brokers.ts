// Brokers for the client tests: a real Mosquitto (spawned on free ports with a temporary
// config) and, when the embedding API exists, the Culex broker itself. Each test stops only
// what it started, by PID or by closing the embedded broker.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/broker-process.js';

export { freePort };

export type BrokerKind = 'mosquitto' | 'culex';

export interface TestBroker {
  kind: BrokerKind;
  /** mqtt://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/mqtt (undefined when the broker has no WebSocket listener) */
  wsUrl: string | undefined;
  port: number;
  /** Kills the broker abruptly (SIGKILL for Mosquitto); its in-memory state is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP) so it stops answering; resume() undoes it. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** Extra mosquitto.conf lines (Mosquitto only). */
  extraConfig?: string[];
}

/** The brokers tests run against: CULEX_TEST_BROKERS=mosquitto,culex narrows the list. */
export async function brokerKinds(): Promise<BrokerKind[]> {
  const wanted = process.env.CULEX_TEST_BROKERS?.split(',') ?? ['mosquitto', 'culex'];
  const kinds: BrokerKind[] = [];
  if (wanted.includes('mosquitto')) kinds.push('mosquitto');
  if (wanted.includes('culex') && (await loadCulex())) kinds.push('culex');
  return kinds;
}

export function startBroker(kind: BrokerKind, options: BrokerOptions = {}): Promise<TestBroker> {
  return kind === 'mosquitto' ? startMosquitto(options) : startCulex();
}

function waitForPort(port: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

async function startMosquitto(options: BrokerOptions): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-mosq-'));
  const port = await freePort();
  const wsPort = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      'per_listener_settings false',
      'allow_anonymous true',
      `listener ${port} 127.0.0.1`,
      `listener ${wsPort} 127.0.0.1`,
      'protocol websockets',
      'log_dest stderr',
      'log_type error',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('/usr/sbin/mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume();
    await waitForPort(port);
    await waitForPort(wsPort);
  };
  const killChild = async (signal: NodeJS.Signals) => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    await exited;
  };
  await launch();
  return {
    kind: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
    port,
    kill: () => killChild('SIGKILL'),
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      child?.kill('SIGCONT');
      await killChild('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface EmbeddedBroker {
  address(type: string): { port: number };
  close(): Promise<void>;
}
type CreateBroker = (options: unknown) => Promise<EmbeddedBroker>;

let culexFactory: CreateBroker | null | undefined;

/** The Culex embedding API (src/index.ts createBroker), or null while it does not exist. */
async function loadCulex(): Promise<CreateBroker | null> {
  if (culexFactory !== undefined) return culexFactory;
  try {
    const path = '../../src/index.js';
    const module = (await import(path)) as { createBroker?: CreateBroker };
    culexFactory = module.createBroker ?? null;
  } catch {
    culexFactory = null;
  }
  return culexFactory;
}

async function startCulex(): Promise<TestBroker> {
  const createBroker = await loadCulex();
  if (!createBroker) throw new Error('the Culex broker (createBroker) is not available');
  let broker: EmbeddedBroker | undefined;
  let port = 0;
  let wsPort = 0;
  const launch = async () => {
    broker = await createBroker({
      listeners: [
        { type: 'tcp', port, host: '127.0.0.1' },
        { type: 'ws', port: wsPort, host: '127.0.0.1' },
      ],
    });
    port = broker.address('tcp').port;
    wsPort = broker.address('ws').port;
  };
  await launch();
  const close = async () => {
    const current = broker;
    broker = undefined;
    await current?.close();
  };
  return {
    kind: 'culex',
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
    port,
    kill: close,
    restart: launch,
    pause: () => {
      throw new Error('an embedded broker cannot be paused');
    },
    resume: () => {},
    stop: close,
  };
}
