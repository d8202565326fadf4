// One standalone nats-server with JetStream on free loopback ports, for tests that need NATS
// but not a cluster of NATS servers (harness.ts has that).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/broker-process.js';
import { sleep, stopChild } from './harness.js';

export interface StandaloneNats {
  url: string;
  stop(): Promise<void>;
}

/** Resolves once /healthz answers 200 (JetStream ready); bounded to `ms`. */
export async function startNats(ms = 10_000): Promise<StandaloneNats> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-nats-'));
  const [port, monitor] = [await freePort(), await freePort()];
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', dir];
  const child: ChildProcess = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nats-server exited: ${output}`);
    }
    const res = await fetch(`http://127.0.0.1:${monitor}/healthz`, {
      signal: AbortSignal.timeout(1000),
    }).catch(() => undefined);
    if (res?.status === 200) return { url: `nats://127.0.0.1:${port}`, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server not healthy in ${ms} ms: ${output}`);
    }
    await sleep(100);
  }
}
