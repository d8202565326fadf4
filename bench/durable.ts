// `npm run bench:durable`: QoS 1 fan-in to a persistent subscriber, in one run: Culex with the
// in-memory store, Culex with lmdb and durability sync (every PUBACK after the disk write),
// and Mosquitto with `persistence true`. Brokers on CPU 0, this load on CPU 1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runFanin } from './fanin-load.js';

const main = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const PORT = 18870;

if (process.env.CULEX_BENCH_PINNED !== '1') {
  // Re-run pinned to CPU 1, so brokers have CPU 0 to themselves.
  const child = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, CULEX_BENCH_PINNED: '1' },
  });
  process.exit(child.status ?? 1);
}

interface Contender {
  name: string;
  command: (dir: string) => string[];
}

const contenders: Contender[] = [
  {
    name: 'culex memory',
    command: () => [
      'node',
      main,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--ws-port',
      '0',
      '--http-port',
      '0',
      '--store',
      'memory',
      '--log-level',
      'warn',
    ],
  },
  {
    name: 'culex lmdb sync',
    command: (dir) => [
      'node',
      main,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--ws-port',
      '0',
      '--http-port',
      '0',
      '--store',
      'lmdb',
      '--durability',
      'sync',
      '--data-dir',
      dir,
      '--log-level',
      'warn',
    ],
  },
  {
    name: 'mosquitto persistence',
    command: (dir) => {
      const conf = join(dir, 'mosquitto.conf');
      writeFileSync(
        conf,
        `listener ${PORT} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 0\nlog_dest none\n`,
      );
      return ['mosquitto', '-c', conf];
    },
  },
];

async function waitForPort(child: ChildProcess): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(PORT, '127.0.0.1', () => {
        s.destroy();
        r(true);
      }).on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('broker did not listen in 10 s');
}

async function measure(c: Contender, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-durable-'));
  const [cmd, ...args] = c.command(dir);
  const child = spawn('taskset', ['-c', '0', cmd!, ...args], { stdio: 'ignore' });
  try {
    await waitForPort(child);
    const result = await runFanin({
      port: PORT,
      publishers: 10,
      window: 32,
      payloadBytes: 64,
      warmupSeconds: 1,
      seconds,
      persistentSubscriber: true,
      topicPrefix: `durable${process.pid}`,
    });
    return result.rate;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const medians: Record<string, number> = {};
for (const c of contenders) {
  const rates: number[] = [];
  for (let i = 0; i < reps; i++) rates.push(await measure(c, seconds));
  rates.sort((a, b) => a - b);
  medians[c.name] = rates[rates.length >> 1]!;
  console.log(
    `${c.name.padEnd(22)} ${rates.map((r) => `${(r / 1000).toFixed(1)}k`).join(' ')} msg/s (median ${(medians[c.name]! / 1000).toFixed(1)}k)`,
  );
}
const sync = medians['culex lmdb sync']!;
console.log(
  JSON.stringify({
    syncVsMemory: Number((sync / medians['culex memory']!).toFixed(2)),
    syncVsMosquitto: Number((sync / medians['mosquitto persistence']!).toFixed(2)),
  }),
);
