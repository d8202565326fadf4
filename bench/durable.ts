// `npm run bench:durable`: QoS 1 fan-in to a persistent subscriber, in one run: Culex with the
// in-memory store, Culex with lmdb and durability sync (every PUBACK after the disk write),
// and Mosquitto with `persistence true`. Brokers on CPU 0, this load on CPU 1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { culexArgs, startCulex, stopProcess } from './broker-process.js';
import { runFanin } from './fanin-load.js';

const PORT = 18870;
const PINNED = ['taskset', '-c', '0'];

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
  start(dir: string): Promise<ChildProcess>;
}

async function startMosquitto(dir: string): Promise<ChildProcess> {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${PORT} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 0\nlog_dest none\n`,
  );
  const child = spawn(PINNED[0]!, [...PINNED.slice(1), 'mosquitto', '-c', conf], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(PORT, '127.0.0.1', () => r(s.destroy() !== undefined)).on('error', () =>
        r(false),
      );
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('mosquitto did not listen in 10 s');
}

const contenders: Contender[] = [
  {
    name: 'culex memory',
    start: async () => (await startCulex(culexArgs(PORT, ['--store', 'memory']), PINNED)).child,
  },
  {
    name: 'culex lmdb sync',
    start: async (dir) =>
      (
        await startCulex(
          culexArgs(PORT, ['--store', 'lmdb', '--durability', 'sync', '--data-dir', dir]),
          PINNED,
        )
      ).child,
  },
  { name: 'mosquitto persistence', start: startMosquitto },
];

async function measure(c: Contender, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-durable-'));
  const child = await c.start(dir);
  try {
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
    await stopProcess(child);
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
