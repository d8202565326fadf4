// Shared by the auth tests: temporary directories, bounded child processes, and a real
// mosquitto broker on a loopback port for interoperability checks.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientInfo, ConnectRequest } from '../../src/broker/ports.js';
import { ProtocolVersion } from '../../src/protocol/constants.js';
import { freePort } from '../../bench/broker-process.js';

export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'culex-auth-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, killing it (by its PID) after `timeoutMs`. */
export function run(command: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export interface Mosquitto {
  port: number;
  stop(): Promise<void>;
}

/** Starts mosquitto with `settings` (lines of mosquitto.conf) on a loopback port in `dir`. */
export async function startMosquitto(dir: string, settings: string[]): Promise<Mosquitto> {
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', ...settings];
  // As root, mosquitto would switch to its own user, which cannot read our private temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  await writeFile(config, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 5_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`mosquitto did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, stop };
}

export function client(overrides: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'client-1',
    username: 'alice',
    remoteAddress: '127.0.0.1',
    protocolVersion: ProtocolVersion.V5,
    attributes: {},
    ...overrides,
  };
}

/** A 5.0 CONNECT from 127.0.0.1, as an authenticator is handed it. */
export function connectRequest(
  username: string | undefined,
  password: string,
  clientId = 'c1',
): ConnectRequest {
  return {
    clientId,
    username,
    password: Buffer.from(password),
    protocolVersion: ProtocolVersion.V5,
    remoteAddress: '127.0.0.1',
  };
}
