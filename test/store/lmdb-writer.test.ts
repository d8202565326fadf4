// Group commit in the LMDB writer: one group in flight, the writes that arrive meanwhile form
// the next one, and a put deleted before its group starts never reaches LMDB. A fake lmdb-js
// root records what it is handed and commits only when the test says so.
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Database, RootDatabase } from 'lmdb';
import { LmdbWriter, ON_DISK } from '../../src/store/lmdb-writer.js';

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

class FakeRoot {
  constructor(private readonly lmdb: FakeLmdb) {}
  get flushed(): Promise<void> {
    return this.lmdb.lastCommit;
  }
  async close(): Promise<void> {}
}

/** lmdb-js in miniature: operations of one turn share one commit, which the test releases. */
class FakeLmdb {
  readonly ops: string[] = [];
  private current: Promise<void> | undefined;
  private readonly pending: Pending[] = [];
  readonly db = {
    put: (key: Buffer, value: unknown) => this.op(`put ${key} ${value}`),
    remove: (key: Buffer) => this.op(`remove ${key}`),
  } as unknown as Database;
  readonly root = new FakeRoot(this) as unknown as RootDatabase;

  /** What lmdb-js's `flushed` waits for: the last transaction. */
  get lastCommit(): Promise<void> {
    return this.current ?? Promise.resolve();
  }

  get commitsWaiting(): number {
    return this.pending.length;
  }

  commit(error?: Error): void {
    const next = this.pending.shift();
    assert.ok(next, 'a commit is waiting');
    if (error) next.reject(error);
    else next.resolve();
  }

  private op(text: string): Promise<void> {
    this.ops.push(text);
    if (this.current === undefined) {
      this.current = new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
      const done = this.current;
      done.then(
        () => this.current === done && (this.current = undefined),
        () => this.current === done && (this.current = undefined),
      );
      void tick().then(() => (this.current = undefined)); // the next turn is another transaction
    }
    return this.current;
  }
}

const key = (n: number) => Buffer.from(`k${n}`);

function setup() {
  const lmdb = new FakeLmdb();
  const writer = new LmdbWriter('data', lmdb.root, 'sync');
  return { lmdb, writer };
}

describe('LMDB writer: group commit', () => {
  it('hands the writes of one turn to LMDB together, after the turn', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    writer.remove(lmdb.db, key(2));
    assert.deepEqual(lmdb.ops, [], 'nothing reaches LMDB during the turn');
    const flushed = writer.flush();
    assert.deepEqual(lmdb.ops, ['put k1 a', 'remove k2']);
    lmdb.commit();
    await flushed;
  });

  it('keeps one group in flight; writes arriving meanwhile wait and go out as the next group', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    const first = writer.flush();
    await tick();
    writer.put(lmdb.db, key(2), 'b');
    writer.put(lmdb.db, key(3), 'c');
    let secondDone = false;
    const second = writer.flush().then(() => (secondDone = true));
    assert.equal(writer.flush(), writer.flush(), 'later flushes share the waiting group');
    await tick();
    assert.deepEqual(lmdb.ops, ['put k1 a'], 'the second group waits for the first commit');
    lmdb.commit();
    await first;
    await tick();
    assert.deepEqual(lmdb.ops, ['put k1 a', 'put k2 b', 'put k3 c']);
    assert.equal(secondDone, false, 'flush() resolves only once its own group is committed');
    lmdb.commit();
    await second;
    assert.equal(secondDone, true);
  });

  it('a flush with nothing queued since the group in flight started waits for that group only', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    const first = writer.flush();
    assert.equal(writer.flush(), first, 'the session and retained stores share one group');
    lmdb.commit();
    await first;
  });

  it('drops a put cancelled before its group starts: LMDB never sees it, nor a remove', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    const first = writer.flush();
    const doomed = writer.put(lmdb.db, key(2), 'b');
    const kept = writer.put(lmdb.db, key(3), 'c');
    assert.equal(writer.cancel(doomed), true, 'nothing of k2 is in LMDB: no remove needed');
    lmdb.commit();
    await first;
    const second = writer.flush();
    await tick();
    assert.deepEqual(lmdb.ops, ['put k1 a', 'put k3 c']);
    lmdb.commit();
    await second;
    assert.equal(writer.cancel(kept), false, 'a submitted put must be removed by the caller');
  });

  it('a put superseding a queued put sends only the last value', async () => {
    const { lmdb, writer } = setup();
    const first = writer.put(lmdb.db, key(1), 'a');
    const second = writer.put(lmdb.db, key(1), 'b', first);
    const flushed = writer.flush();
    assert.deepEqual(lmdb.ops, ['put k1 b']);
    assert.equal(writer.cancel(first), false, 'already superseded');
    lmdb.commit();
    await flushed;
    assert.equal(writer.cancel(second), false);
  });

  it('cancelling a put that superseded a written value still asks for a remove', async () => {
    const { lmdb, writer } = setup();
    const written = writer.put(lmdb.db, key(1), 'a');
    const flushed = writer.flush();
    lmdb.commit();
    await flushed;
    const update = writer.put(lmdb.db, key(1), 'b', written);
    assert.equal(writer.cancel(update), false, 'the value a is in LMDB');
    const fromDisk = writer.put(lmdb.db, key(2), 'c', ON_DISK);
    assert.equal(writer.cancel(fromDisk), false, 'a record loaded at start-up is in LMDB');
    assert.equal(writer.cancel(ON_DISK), false);
    await writer.flush();
    assert.deepEqual(lmdb.ops, ['put k1 a'], 'both cancelled puts were dropped');
  });

  it('commits queued writes by itself within a turn, with no flush() call', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    await tick();
    assert.deepEqual(lmdb.ops, ['put k1 a']);
    assert.equal(lmdb.commitsWaiting, 1);
    lmdb.commit();
  });

  it('a failed commit rejects its flush and every later one, naming the data directory', async () => {
    const { lmdb, writer } = setup();
    writer.put(lmdb.db, key(1), 'a');
    const flushed = writer.flush();
    lmdb.commit(new Error('MDB_MAP_FULL'));
    await assert.rejects(flushed, /writing to the store in data failed/);
    await assert.rejects(writer.flush(), /writing to the store in data failed/);
  });
});
