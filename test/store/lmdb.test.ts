// The LMDB store's refusals: format versions, damaged or foreign data, double opens.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import { DataDirectoryError, openLmdbStores } from '../../src/store/lmdb.js';
import { message } from '../../src/store/contract-records.js';
import { removeDir, tempDir } from './lmdb-helpers.js';

/** Runs body on a temp directory that already holds a store with one retained message. */
async function withExistingStore(body: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await tempDir();
  try {
    const stores = await openLmdbStores({ dataDir, durability: 'sync' });
    stores.retained.save(message('t'));
    await stores.close();
    await body(dataDir);
  } finally {
    await removeDir(dataDir);
  }
}

/** Changes the store's files with plain lmdb-js, as another program (or version) would. */
async function editRaw(dataDir: string, edit: (meta: ReturnType<typeof openMeta>) => void) {
  const meta = openMeta(dataDir);
  edit(meta);
  await meta.root.close();
}

function openMeta(dataDir: string) {
  const root = open(dataDir, { noSubdir: false, maxDbs: 8, keyEncoding: 'binary' });
  const db = root.openDB({ name: 'meta', keyEncoding: 'binary', encoding: 'msgpack' });
  return { root, db, key: Buffer.from('formatVersion') };
}

async function assertRefused(dataDir: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(openLmdbStores({ dataDir, durability: 'sync' }), (error: Error) => {
    assert.ok(error instanceof DataDirectoryError, `a DataDirectoryError, got ${error}`);
    assert.equal(error.code, 'CULEX_E_DATA_DIRECTORY');
    assert.ok(error.message.includes(dataDir), `names the directory: ${error.message}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe('lmdb store: format version', () => {
  it('writes version 1 into a new store and opens it again', () =>
    withExistingStore(async (dataDir) => {
      const meta = openMeta(dataDir);
      assert.equal(meta.db.get(meta.key), 1);
      await meta.root.close();
      const stores = await openLmdbStores({ dataDir, durability: 'periodic' });
      assert.equal((await stores.retained.load()).length, 1);
      await stores.close();
    }));

  it('keeps the data when the durability setting changes between restarts', () =>
    withExistingStore(async (dataDir) => {
      const steps = [
        ['periodic', 'u', ['t']],
        ['sync', 'v', ['t', 'u']],
        ['periodic', 'w', ['t', 'u', 'v']],
        ['sync', undefined, ['t', 'u', 'v', 'w']],
      ] as const;
      for (const [durability, topic, expected] of steps) {
        const stores = await openLmdbStores({ dataDir, durability });
        const topics = (await stores.retained.load()).map((m) => m.topic).sort();
        assert.deepStrictEqual(topics, expected, `opened with ${durability}`);
        if (topic) stores.retained.save(message(topic));
        await stores.close();
      }
    }));

  it('refuses a newer format version, naming found and supported versions', () =>
    withExistingStore(async (dataDir) => {
      await editRaw(dataDir, (meta) => meta.db.putSync(meta.key, 2));
      await assertRefused(dataDir, /format version 2/, /supports version 1/);
    }));

  it('refuses an unknown format version value', () =>
    withExistingStore(async (dataDir) => {
      await editRaw(dataDir, (meta) => meta.db.putSync(meta.key, 'v1-beta'));
      await assertRefused(dataDir, /format version v1-beta/, /supports version 1/);
    }));

  it('refuses a store that holds data but no format version', () =>
    withExistingStore(async (dataDir) => {
      await editRaw(dataDir, (meta) => meta.db.removeSync(meta.key));
      await assertRefused(dataDir, /no format version/);
    }));

  it('refuses an LMDB environment of another program', async () => {
    const dataDir = await tempDir();
    try {
      const root = open(dataDir, { noSubdir: false, maxDbs: 4 });
      root.openDB({ name: 'users' }).putSync('alice', { admin: true });
      await root.close();
      await assertRefused(dataDir, /not a culex store \(users\)/);
    } finally {
      await removeDir(dataDir);
    }
  });
});

describe('lmdb store: damaged or unreadable data directories', () => {
  const cases: [string, (dataDir: string) => Promise<void>, RegExp][] = [
    [
      'garbage in data.mdb',
      (d) => writeFile(join(d, 'data.mdb'), 'garbage'.repeat(2000)),
      /not an LMDB data file/,
    ],
    [
      'a short garbage data.mdb',
      (d) => writeFile(join(d, 'data.mdb'), 'garbage'),
      /not an LMDB data file/,
    ],
    [
      'a data.mdb of zeros',
      (d) => writeFile(join(d, 'data.mdb'), Buffer.alloc(65536)),
      /not an LMDB data file/,
    ],
    ['an empty data.mdb', (d) => writeFile(join(d, 'data.mdb'), ''), /data.mdb is empty/],
    ['a directory in place of data.mdb', (d) => mkdir(join(d, 'data.mdb')), /EISDIR/],
    ['lock.mdb without data.mdb', (d) => writeFile(join(d, 'lock.mdb'), ''), /data.mdb is missing/],
  ];
  for (const [name, damage, pattern] of cases) {
    it(`refuses ${name}`, async () => {
      const dataDir = await tempDir();
      try {
        await damage(dataDir);
        await assertRefused(dataDir, pattern);
      } finally {
        await removeDir(dataDir);
      }
    });
  }

  it('refuses a truncated data.mdb', () =>
    withExistingStore(async (dataDir) => {
      const file = join(dataDir, 'data.mdb');
      await writeFile(file, (await readFile(file)).subarray(0, 2 * 4096));
      await assertRefused(dataDir, /truncated/);
    }));

  it('refuses a data.mdb whose meta page is damaged', () =>
    withExistingStore(async (dataDir) => {
      const file = join(dataDir, 'data.mdb');
      const bytes = await readFile(file);
      bytes.fill(0x5a, 4096, 4096 + 64);
      await writeFile(file, bytes);
      await assertRefused(dataDir, /not an LMDB data file/);
    }));

  it('load() names the directory when a record is damaged', () =>
    withExistingStore(async (dataDir) => {
      await editRaw(dataDir, (meta) => {
        const retained = meta.root.openDB({ name: 'retained', keyEncoding: 'binary' });
        retained.putSync(Buffer.from('sx'), 'not a message');
      });
      const stores = await openLmdbStores({ dataDir, durability: 'sync' });
      try {
        await assert.rejects(stores.retained.load(), (error: Error) => {
          assert.ok(error instanceof DataDirectoryError);
          assert.ok(error.message.includes(dataDir));
          assert.match(error.message, /retained message record is damaged/);
          return true;
        });
      } finally {
        await stores.close();
      }
    }));

  it('refuses a data directory that is a file', async () => {
    const parent = await tempDir();
    try {
      const dataDir = join(parent, 'data');
      await writeFile(dataDir, 'not a directory');
      await assertRefused(dataDir, /not a directory/);
    } finally {
      await removeDir(parent);
    }
  });

  it('refuses to open a data directory twice in one process', async () => {
    const dataDir = await tempDir();
    try {
      const stores = await openLmdbStores({ dataDir, durability: 'sync' });
      try {
        await assertRefused(dataDir, /already open/);
      } finally {
        await stores.close();
      }
      const again = await openLmdbStores({ dataDir, durability: 'sync' });
      await again.close();
    } finally {
      await removeDir(dataDir);
    }
  });

  it('refuses unknown durability settings and bad flush intervals', async () => {
    const dataDir = await tempDir();
    try {
      const open = (options: object) =>
        openLmdbStores({ dataDir, durability: 'sync', ...options } as never);
      await assert.rejects(open({ durability: 'fast' }), /durability must be 'sync' or 'periodic'/);
      await assert.rejects(open({ flushIntervalMs: 0 }), /flushIntervalMs/);
      await assert.rejects(open({ flushIntervalMs: Number.NaN }), /flushIntervalMs/);
      const stores = await open({ durability: 'periodic', flushIntervalMs: 5 });
      await stores.close();
    } finally {
      await removeDir(dataDir);
    }
  });

  it('creates a missing data directory, with a dot in its name', async () => {
    const parent = await tempDir();
    try {
      const dataDir = join(parent, 'nested', 'data.d');
      const stores = await openLmdbStores({ dataDir, durability: 'sync' });
      stores.retained.save(message('t'));
      await stores.close();
      const reopened = await openLmdbStores({ dataDir, durability: 'sync' });
      assert.equal((await reopened.retained.load()).length, 1);
      await reopened.close();
      await readFile(join(dataDir, 'data.mdb'));
    } finally {
      await removeDir(parent);
    }
  });
});
