// Child processes for the interop tests (Paho scripts, mosquitto_pub/sub): line-oriented output
// with bounded waits, and a stop that kills only the process started here, by its PID.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class Child {
  readonly lines: string[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  private buffered = '';

  constructor(readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      const parts = this.buffered.split('\n');
      this.buffered = parts.pop()!;
      this.lines.push(...parts.filter((l) => l.length > 0));
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // 'close', not 'exit': by then all of stdout has been read.
    this.exited = new Promise((resolve) =>
      proc.once('close', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  static start(command: string, args: string[]): Child {
    return new Child(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Waits until `count` lines have been printed; returns them all so far. */
  async waitForLines(count: number, timeoutMs = 5_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.exitCode !== undefined) {
        throw new Error(
          `exited (${this.exitCode}) after ${this.lines.length} of ${count} lines: ${this.stderr}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(
          `${this.lines.length} of ${count} lines within ${timeoutMs} ms: ${this.stderr}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    return [...this.lines];
  }

  /** Waits for the process to exit; returns its exit code. */
  async exit(timeoutMs = 5_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      throw new Error(`did not exit within ${timeoutMs} ms; output: ${this.lines.join('\n')}`);
    }
    return this.exitCode ?? null;
  }

  /** SIGKILL to this process only, if it still runs. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exitCode === undefined && this.proc.pid !== undefined) {
      try {
        process.kill(this.proc.pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  async killAndWait(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.kill(signal);
    await this.exit(3_000);
  }
}

/** Where a fixture file lives: next to the sources, also when run from dist/. */
export function fixturePath(name: string): string {
  const candidates = [
    new URL(`./fixtures/${name}`, import.meta.url),
    new URL(`../../../test/interop/fixtures/${name}`, import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`fixture ${name} not found`);
}

/** True when `command args` runs and exits 0 (a tool is installed). */
export function available(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 5_000 });
  return result.status === 0;
}

/** True when `command` can be started at all, whatever its exit code. */
export function installed(command: string): boolean {
  const result = spawnSync(command, ['--help'], { stdio: 'ignore', timeout: 5_000 });
  return result.error === undefined;
}
