// Two `culex start` on one data directory: the second refuses, naming the directory and the
// process that holds it; the lock goes with the first broker (SIGTERM) and a lock left by a
// killed broker is taken over.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CULEX_MAIN, culexArgs, startCulex, stopProcess } from '../../bench/broker-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'culex-data-lock-'));
const args = (port: number) => culexArgs(port, ['--data-dir', dataDir]);

async function startSecond() {
  try {
    await promisify(execFile)(process.execPath, [CULEX_MAIN, ...args(0)], { timeout: 15_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    return error as { code: number; stderr: string };
  }
}

describe('culex start: one broker per data directory', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a second broker on the same --data-dir refuses, naming the directory and the pid', async () => {
    const first = await startCulex(args(0));
    try {
      const lock = join(dataDir, 'culex.pid');
      assert.equal(readFileSync(lock, 'utf8').trim(), String(first.child.pid));
      const second = await startSecond();
      assert.equal(second.code, 1);
      assert.equal(
        second.stderr,
        `culex: cannot use the data directory ${dataDir}: it is in use by another process ` +
          `(pid ${first.child.pid}, in ${lock}); stop that broker or give another --data-dir ` +
          '(remove the file if that process is no broker) (CULEX_E_DATA_DIRECTORY)\n',
      );
    } finally {
      await stopProcess(first.child);
    }
    assert.equal(existsSync(join(dataDir, 'culex.pid')), false, 'released on SIGTERM');
  });

  it('the lock of a killed broker is taken over', async () => {
    const killed = await startCulex(args(0));
    await stopProcess(killed.child, 'SIGKILL');
    assert.equal(existsSync(join(dataDir, 'culex.pid')), true);
    const next = await startCulex(args(0));
    assert.equal(readFileSync(join(dataDir, 'culex.pid'), 'utf8').trim(), String(next.child.pid));
    await stopProcess(next.child);
  });
});
