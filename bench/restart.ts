// `npm run bench:restart`: 100k retained messages and 10k persistent sessions in the lmdb
// store; then a restart: how long until the broker listens again, and what it costs in memory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { culexArgs, startCulex, stopProcess } from './broker-process.js';
import { countPresentSessions, countRetained, fillRetained, fillSessions } from './restart-fill.js';

const PORT = 18871;
const retained = Number(process.argv[2] ?? 100_000);
const sessions = Number(process.argv[3] ?? 10_000);
const dataDir = mkdtempSync(join(tmpdir(), 'culex-restart-'));

const start = () =>
  startCulex(
    culexArgs(PORT, ['--store', 'lmdb', '--durability', 'periodic', '--data-dir', dataDir]),
  );

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

try {
  const empty = await start();
  const emptyRss = rssMiB(empty.child.pid!);
  let t = performance.now();
  await fillRetained(PORT, 'restart', retained);
  const fillRetainedMs = performance.now() - t;
  t = performance.now();
  await fillSessions(PORT, 'restart', sessions);
  const fillSessionsMs = performance.now() - t;
  const filledRss = rssMiB(empty.child.pid!);
  await stopProcess(empty.child);

  const again = await start();
  const restartRss = rssMiB(again.child.pid!);
  const gotRetained = await countRetained(PORT, 'restart', retained);
  const present = await countPresentSessions(PORT, 'restart', Math.min(sessions, 1000));
  await stopProcess(again.child);

  console.log(
    `filled: ${retained} retained in ${(fillRetainedMs / 1000).toFixed(1)} s, ${sessions} persistent sessions in ${(fillSessionsMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `empty broker: start ${empty.ms.toFixed(0)} ms, RSS ${emptyRss.toFixed(0)} MiB; filled: RSS ${filledRss.toFixed(0)} MiB`,
  );
  console.log(
    `restart: listening after ${again.ms.toFixed(0)} ms, RSS ${restartRss.toFixed(0)} MiB`,
  );
  console.log(
    `after restart: ${gotRetained}/${retained} retained delivered, ${present}/${Math.min(sessions, 1000)} sessions present`,
  );
  console.log(
    JSON.stringify({
      restartMs: Math.round(again.ms),
      restartRssMiB: Math.round(restartRss),
      retained: gotRetained,
      sessionsPresent: present,
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
