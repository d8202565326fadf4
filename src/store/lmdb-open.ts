// Opening the LMDB environment of a data directory, refusing anything that is not a store
// this version can read: a damaged or foreign file, a missing data file next to its lock
// file, a newer or unknown format. Every refusal names the directory, so an operator never
// gets a silent empty start.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import { FORMAT_VERSION } from './record-codec.js';

export type Durability = 'sync' | 'periodic';

export interface LmdbDatabases {
  root: RootDatabase;
  meta: Database;
  sessions: Database;
  outbound: Database;
  incomingQos2: Database;
  retained: Database;
  bans: Database;
}

const DATABASE_NAMES = [
  'meta',
  'sessions',
  'outbound',
  'incomingQos2',
  'retained',
  'bans',
] as const;
const FORMAT_VERSION_KEY = Buffer.from('formatVersion');

/** An operator-facing failure to open a data directory; the message says what to do. */
export class DataDirectoryError extends Error {
  override name = 'DataDirectoryError';
  /** The code of src/errors.ts's catalog (ErrorCode.DataDirectory). */
  readonly code = 'CULEX_E_DATA_DIRECTORY';
  constructor(
    readonly dataDir: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the data directory ${dataDir}: ${problem}`, options);
  }
}

export function openLmdbDatabases(dataDir: string, durability: Durability): LmdbDatabases {
  prepareDirectory(dataDir);
  let root: RootDatabase;
  try {
    root = open(dataDir, {
      // A name with a dot would otherwise be taken for a file, not a directory.
      noSubdir: false,
      maxDbs: DATABASE_NAMES.length + 2,
      keyEncoding: 'binary',
      // periodic: commits reach the OS at once (they survive a killed process) and the disk
      // on the flush timer; sync: each commit is flushed to disk, overlapping the next one.
      noSync: durability === 'periodic',
    });
  } catch (error) {
    throw new DataDirectoryError(dataDir, `LMDB cannot open it (${describe(error)})`, {
      cause: error,
    });
  }
  try {
    return checkFormat(dataDir, root);
  } catch (error) {
    void root.close();
    throw error;
  }
}

function prepareDirectory(dataDir: string): void {
  try {
    if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw new Error('it is not a directory');
    checkDataFile(dataDir);
  } catch (error) {
    if (error instanceof DataDirectoryError) throw error;
    throw new DataDirectoryError(dataDir, describe(error), { cause: error });
  }
}

/**
 * lmdb-js crashes the process (SIGSEGV/SIGBUS) on some damaged files instead of returning an
 * error, so the fixed header is checked here first: both meta pages, their magic number, the
 * data version and page size, and a file long enough for the pages they point to. Damage
 * deeper in the B-tree is not detected: LMDB pages carry no checksums.
 */
function checkDataFile(dataDir: string): void {
  const dataFile = join(dataDir, 'data.mdb');
  if (!existsSync(dataFile)) {
    if (existsSync(join(dataDir, 'lock.mdb'))) {
      fail(
        dataDir,
        'lock.mdb is there but data.mdb is missing (deleted or moved?); restore it, or remove lock.mdb to start empty',
      );
    }
    return;
  }
  const fd = openSync(dataFile, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) fail(dataDir, 'data.mdb is empty; restore it, or remove it to start empty');
    const header = Buffer.alloc(Math.min(size, 2 * MAX_PAGE_SIZE));
    readSync(fd, header, 0, header.length, 0);
    checkMetaPages(dataDir, header, size);
  } finally {
    closeSync(fd);
  }
}

// The layout of lmdb-js's LMDB (mdb.master3): a 24-byte page header, then MDB_meta.
const PAGE_HEADER = 24;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const MAX_PAGE_SIZE = 65536;
const META = {
  magic: PAGE_HEADER,
  version: PAGE_HEADER + 4,
  pageSize: PAGE_HEADER + 24, // md_pad of the free-list MDB_db
  freeRoot: PAGE_HEADER + 24 + 40,
  mainRoot: PAGE_HEADER + 24 + 48 + 40,
  lastPage: PAGE_HEADER + 24 + 96,
} as const;
const INVALID_PAGE = 0xffff_ffff_ffff_ffffn;

function checkMetaPages(dataDir: string, header: Buffer, fileSize: number): void {
  const notLmdb = 'data.mdb is not an LMDB data file or its header is damaged';
  if (header.length < META.lastPage + 8 || header.readUInt32LE(META.magic) !== MAGIC) {
    fail(dataDir, notLmdb);
  }
  const version = header.readUInt32LE(META.version);
  if (version !== DATA_VERSION) {
    fail(dataDir, `data.mdb has LMDB data version ${version}, this build reads ${DATA_VERSION}`);
  }
  const pageSize = header.readUInt32LE(META.pageSize);
  if (pageSize < 512 || pageSize > MAX_PAGE_SIZE || (pageSize & (pageSize - 1)) !== 0) {
    fail(dataDir, notLmdb);
  }
  if (fileSize < 2 * pageSize || header.length < pageSize + META.lastPage + 8) {
    fail(dataDir, 'data.mdb is truncated');
  }
  const lastPages = [0, pageSize].map((at) => {
    if (header.readUInt32LE(at + META.magic) !== MAGIC) fail(dataDir, notLmdb);
    const lastPage = header.readBigUInt64LE(at + META.lastPage);
    for (const root of [META.freeRoot, META.mainRoot]) {
      const page = header.readBigUInt64LE(at + root);
      if (page !== INVALID_PAGE && page > lastPage) fail(dataDir, notLmdb);
    }
    return Number(lastPage);
  });
  // LMDB may fall back to the older meta page after a crash, so only a file too short for
  // both is surely truncated.
  if (fileSize < (Math.min(...lastPages) + 1) * pageSize) fail(dataDir, 'data.mdb is truncated');
}

function checkFormat(dataDir: string, root: RootDatabase): LmdbDatabases {
  // lmdb-js names its databases with a trailing NUL.
  const existing = [...root.getKeys()].map((key) =>
    Buffer.from(key as Uint8Array)
      .toString()
      .replace(/\0$/, ''),
  );
  const foreign = existing.filter((name) => !(DATABASE_NAMES as readonly string[]).includes(name));
  if (foreign.length > 0) {
    fail(dataDir, `it holds an LMDB environment that is not a culex store (${foreign[0]})`);
  }
  const databases = openDatabases(root);
  const found: unknown = databases.meta.get(FORMAT_VERSION_KEY);
  if (found === undefined) {
    if (!isEmpty(databases)) fail(dataDir, 'the store has no format version (unknown format)');
    databases.meta.putSync(FORMAT_VERSION_KEY, FORMAT_VERSION);
  } else if (found !== FORMAT_VERSION) {
    fail(
      dataDir,
      `the store has data format version ${String(found)}, but this culex supports version ` +
        `${FORMAT_VERSION}; use a culex release that reads it, or another --data-dir`,
    );
  }
  return databases;
}

function openDatabases(root: RootDatabase): LmdbDatabases {
  const db = (name: string) => root.openDB({ name, keyEncoding: 'binary', encoding: 'msgpack' });
  return {
    root,
    meta: db('meta'),
    sessions: db('sessions'),
    outbound: db('outbound'),
    incomingQos2: db('incomingQos2'),
    retained: db('retained'),
    bans: db('bans'),
  };
}

function isEmpty(databases: LmdbDatabases): boolean {
  const { sessions, outbound, incomingQos2, retained, meta, bans } = databases;
  return [meta, sessions, outbound, incomingQos2, retained, bans].every(
    (db) => db.getKeysCount({ limit: 1 }) === 0,
  );
}

function fail(dataDir: string, problem: string): never {
  throw new DataDirectoryError(dataDir, problem);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
