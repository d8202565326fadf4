// Runs `culex` (the built dist/src/cli/main.js, as the `culex` bin does) and other commands
// as child processes, each bounded in time.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const entry = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `ms`), feeding `input` to its stdin. */
export function run(command: string, args: string[], input = '', ms = 10_000): Promise<Result> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return finish(child, input, ms);
}

export const culex = (args: string[], input?: string, ms?: number) =>
  run(process.execPath, [entry, ...args], input, ms);

function finish(child: ChildProcess, input: string, ms: number): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // A command that exits before reading its input (mosquitto_pub -m) closes the pipe: the
  // EPIPE that follows says nothing the exit status and output do not.
  child.stdin!.on('error', () => {});
  child.stdin!.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/**
 * Starts a subscriber process and waits until it has had ample time to subscribe (Node
 * starts in ~0.3 s here); resolves with `{ done }`, the process result.
 */
export async function startSub(command: string, args: string[], ms = 10_000) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = finish(child, '', ms);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { done };
}

export const culexSub = (args: string[]) => startSub(process.execPath, [entry, 'sub', ...args]);
