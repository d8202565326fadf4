// What survives a killed broker process, and what a large store costs to load.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { message, outbound, fullSession } from '../../src/store/contract-records.js';
import { openLmdbStores } from '../../src/store/lmdb.js';
import type { Durability } from '../../src/store/lmdb.js';
import { removeDir, tempDir } from './lmdb-helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/durability-child.js', import.meta.url));

/** Spawns the writer, kills it with SIGKILL as soon as it prints "flushed". */
function runAndKill(dataDir: string, durability: Durability, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, durability, String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('flushed\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && output.includes('flushed\n')) resolve(output);
      else reject(new Error(`the writer ended (${signal}) before flushing:\n${output}`));
    });
  });
}

describe('lmdb store: durability', () => {
  for (const durability of ['sync', 'periodic'] as const) {
    it(`(${durability}) keeps every write flushed before the process got SIGKILL`, async () => {
      const dataDir = await tempDir();
      const count = 3000;
      try {
        await runAndKill(dataDir, durability, count);
        const stores = await openLmdbStores({ dataDir, durability });
        const sessions = await stores.sessions.load();
        const retained = new Set((await stores.retained.load()).map((m) => m.topic));
        await stores.close();
        assert.equal(sessions.sessions.length, 10);
        const seqs = new Set([...sessions.outbound.values()].flat().map((r) => r.seq));
        const incoming = [...sessions.incomingQos2.values()].flat().length;
        for (let i = 0; i < count; i++) {
          assert.ok(seqs.has(i), `outbound seq ${i} survived`);
          assert.ok(retained.has(`r/${i}`), `retained r/${i} survived`);
        }
        assert.ok(incoming >= count, `${incoming} incoming QoS 2 ids survived`);
      } finally {
        await removeDir(dataDir);
      }
    });
  }
});

describe('lmdb store: periodic sync', () => {
  it('forces commits to disk on its timer without failing later flushes', async () => {
    const dataDir = await tempDir();
    try {
      const stores = await openLmdbStores({ dataDir, durability: 'periodic', flushIntervalMs: 5 });
      for (let round = 0; round < 5; round++) {
        stores.retained.save(message(`t/${round}`));
        await stores.retained.flush();
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await stores.retained.flush();
      await stores.close();
    } finally {
      await removeDir(dataDir);
    }
  });
});

describe('lmdb store: size follows the live state', () => {
  it('reuses the space of deleted records instead of growing', async (t: TestContext) => {
    const dataDir = await tempDir();
    const sizes: number[] = [];
    try {
      const stores = await openLmdbStores({ dataDir, durability: 'periodic' });
      const payload = Buffer.alloc(512, 1);
      for (let round = 0; round < 12; round++) {
        for (let seq = 0; seq < 2000; seq++) {
          const record = outbound(round * 2000 + seq, { message: message('t', { payload }) });
          stores.sessions.saveOutbound('c', record);
        }
        await stores.sessions.flush();
        for (let seq = 0; seq < 2000; seq++)
          stores.sessions.deleteOutbound('c', round * 2000 + seq);
        await stores.sessions.flush();
        sizes.push((await stat(join(dataDir, 'data.mdb'))).size);
      }
      await stores.close();
      t.diagnostic(`data.mdb KiB by round: ${sizes.map((size) => size >> 10).join(', ')}`);
      // 12 rounds of 1 MB written and deleted: an append-only file would pass 12 MB.
      assert.ok(sizes.at(-1)! <= 2 * sizes[1]!, `data.mdb sizes by round: ${sizes.join(', ')}`);
    } finally {
      await removeDir(dataDir);
    }
  });
});

describe('lmdb store: start-up cost', () => {
  it('loads 100k retained messages and 10k sessions in bounded time', async (t: TestContext) => {
    const dataDir = await tempDir();
    try {
      const writer = await openLmdbStores({ dataDir, durability: 'periodic' });
      for (let i = 0; i < 100_000; i++) {
        writer.retained.save(message(`devices/${i % 1000}/sensor/${i}`));
      }
      for (let i = 0; i < 10_000; i++) {
        writer.sessions.saveSession(fullSession(`client-${i}`));
        writer.sessions.saveOutbound(`client-${i}`, outbound(i));
      }
      await writer.close();

      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const reader = await openLmdbStores({ dataDir, durability: 'sync' });
      const retained = await reader.retained.load();
      const sessions = await reader.sessions.load();
      const elapsed = performance.now() - started;
      const rssDelta = process.memoryUsage().rss - rssBefore;
      await reader.close();
      t.diagnostic(`load: ${elapsed.toFixed(0)} ms, RSS +${(rssDelta / 2 ** 20).toFixed(1)} MiB`);
      assert.equal(retained.length, 100_000);
      assert.equal(sessions.sessions.length, 10_000);
      assert.equal(sessions.outbound.size, 10_000);
    } finally {
      await removeDir(dataDir);
    }
  });
});
