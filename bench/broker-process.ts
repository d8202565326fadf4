// Starting and stopping a `culex start` process on a loopback port, for benchmarks and the
// tests that need a real process (restart, SIGKILL).
import { type ChildProcess, execFileSync, execSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CULEX_MAIN = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.js');

/** `culex start` arguments for one TCP listener on 127.0.0.1 (and WebSocket when wsPort > 0). */
export function culexArgs(port: number, extra: string[], wsPort = 0): string[] {
  return [
    'start',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--ws-port',
    String(wsPort),
    '--http-port',
    '0',
    '--log-level',
    'warn',
    ...extra,
  ];
}

/** A port that was free a moment ago (closed again, so a broker can take it). */
export { freePort } from '../src/cli/nats-server.js';

export interface Started {
  child: ChildProcess;
  /** ms from spawn to "Listening on". */
  ms: number;
}

/** Runs `culex start` (optionally under a command prefix such as taskset, or another build's main.js) until it listens. */
export function startCulex(
  args: string[],
  prefix: string[] = [],
  timeoutMs = 15_000,
  main = CULEX_MAIN,
): Promise<Started> {
  const t0 = performance.now();
  const command = [...prefix, process.execPath, main, ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`culex did not start in ${timeoutMs} ms: ${output}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Listening on')) {
        clearTimeout(timer);
        done({ child, ms: performance.now() - t0 });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`culex exited with ${code}: ${output}`));
    });
  });
}

/** Sends a signal and waits for the process to exit. */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  return exited;
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A build of Culex to run: this checkout's or a baseline commit's. */
export interface Build {
  name: string;
  /** dist/src/cli/main.js of that build. */
  main: string;
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/** This checkout's build. */
export const CURRENT_BUILD: Build = { name: 'this', main: CULEX_MAIN };

/**
 * Builds commit `ref` in .tmp/<dirName> beside this checkout from `git archive`, sharing its
 * node_modules (the compiler only: `ref` must need no other packages).
 */
export function buildBaseline(ref: string, dirName: string): Build {
  const dir = join(ROOT, '.tmp', dirName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execSync(`git archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`, { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: dir, stdio: 'inherit' },
  );
  return { name: ref, main: join(dir, 'dist', 'src', 'cli', 'main.js') };
}
