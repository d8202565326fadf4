// Store benchmark (`npm run bench:store`): write rate of the LMDB store with durability sync
// and periodic (memory as the baseline), and start-up cost of a store holding 100k retained
// messages and 10k sessions. A write here is what a broker does for one QoS 1 message to one
// persistent subscriber: saveOutbound, then flush() before the PUBACK; each batch stands for
// the PUBLISHes that arrive in one event-loop turn. Start-up is measured in a fresh process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionStore } from '../src/broker/ports.js';
import { openLmdbStores } from '../src/store/lmdb.js';
import { MemorySessionStore } from '../src/store/memory.js';

const CASE_MS = Number(process.env.BENCH_CASE_MS ?? 1500);
const RETAINED = Number(process.env.BENCH_RETAINED ?? 100_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const payload = Buffer.alloc(64, 0x61);

type Kind = 'memory' | 'sync' | 'periodic';

/** Writes batches of `batch` messages, each batch then flushed; the acks delete them. */
async function writeRate(store: SessionStore, batch: number): Promise<number> {
  const started = performance.now();
  let seq = 0;
  while (performance.now() - started < CASE_MS) {
    const first = seq;
    for (let i = 0; i < batch; i++, seq++) {
      const message = {
        topic: `t/${seq % 100}`,
        payload,
        qos: 1 as const,
        retain: false,
        properties: {},
      };
      store.saveOutbound(`client-${seq % 50}`, { seq, message, state: 'queued' });
    }
    await store.flush();
    for (let s = first; s < seq; s++) store.deleteOutbound(`client-${s % 50}`, s);
  }
  await store.flush();
  return seq / ((performance.now() - started) / 1000);
}

async function writeCase(kind: Kind, batch: number): Promise<number> {
  if (kind === 'memory') return writeRate(new MemorySessionStore(), batch);
  const dataDir = mkdtempSync(join(tmpdir(), 'culex-bench-'));
  try {
    const stores = await openLmdbStores({ dataDir, durability: kind });
    const rate = await writeRate(stores.sessions, batch);
    await stores.close();
    return rate;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function fill(dataDir: string): Promise<void> {
  const stores = await openLmdbStores({ dataDir, durability: 'periodic' });
  for (let i = 0; i < RETAINED; i++) {
    const topic = `devices/${i % 1000}/sensors/${i}`;
    stores.retained.save({ topic, payload, qos: 1, retain: true, properties: {} });
  }
  for (let i = 0; i < SESSIONS; i++) {
    const clientId = `client-${i}`;
    const subscriptions = [0, 1, 2].map((n) => ({
      topicFilter: `devices/${(i + n) % 1000}/#`,
      qos: 1 as const,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0 as const,
    }));
    stores.sessions.saveSession({
      clientId,
      protocolVersion: 5,
      expiryInterval: 86_400,
      subscriptions,
    });
    for (let seq = 0; seq < 5; seq++) {
      const message = {
        topic: `devices/${i % 1000}/x`,
        payload,
        qos: 1 as const,
        retain: false,
        properties: {},
      };
      stores.sessions.saveOutbound(clientId, { seq, message, state: 'queued' });
    }
  }
  await stores.close();
}

/** Child mode: open, load everything, report time and memory as one JSON line. */
async function loadInChild(dataDir: string): Promise<void> {
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const stores = await openLmdbStores({ dataDir, durability: 'sync' });
  const retained = await stores.retained.load();
  const sessions = await stores.sessions.load();
  const ms = performance.now() - started;
  global.gc?.();
  const after = process.memoryUsage();
  await stores.close();
  const counts = { retained: retained.length, sessions: sessions.sessions.length };
  const rss = after.rss - before.rss;
  const heap = after.heapUsed - before.heapUsed;
  process.stdout.write(`${JSON.stringify({ ms, rss, heap, ...counts })}\n`);
}

async function startupCase(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'culex-bench-'));
  try {
    const started = performance.now();
    await fill(dataDir);
    const fillMs = performance.now() - started;
    const self = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, ['--expose-gc', self, '--load', dataDir], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`load child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    return [
      `store: ${RETAINED} retained + ${SESSIONS} sessions (3 subscriptions, 5 queued messages each)`,
      `  fill (periodic)      ${fillMs.toFixed(0)} ms`,
      `  data.mdb             ${mib(statSync(join(dataDir, 'data.mdb')).size)}`,
      `  open + load          ${result.ms.toFixed(0)} ms (${result.retained} retained, ${result.sessions} sessions)`,
      `  memory after load    RSS +${mib(result.rss)}, heap +${mib(result.heap)}`,
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const batches = [1, 10, 100, 1000];
  const kinds: Kind[] = ['memory', 'sync', 'periodic'];
  console.log('write rate: messages/s, saveOutbound + flush() per batch, then deleteOutbound');
  console.log(`${'batch'.padStart(6)}${kinds.map((k) => k.padStart(14)).join('')}`);
  for (const batch of batches) {
    const rates: string[] = [];
    for (const kind of kinds)
      rates.push(Math.round(await writeCase(kind, batch)).toLocaleString('en'));
    console.log(`${String(batch).padStart(6)}${rates.map((r) => r.padStart(14)).join('')}`);
  }
  console.log('');
  for (const line of await startupCase()) console.log(line);
}

if (process.argv[2] === '--load') await loadInChild(process.argv[3]!);
else await main();
