// One process per data directory. LMDB lets several processes open one environment, but two
// brokers would each load the sessions at start-up and then overwrite each other's writes.
// The lock is a file holding the owner's PID: created exclusively, removed on close, and
// taken over when its process is gone (a broker that was killed leaves it behind).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirectoryError } from './lmdb-open.js';

export const LOCK_FILE = 'culex.pid';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory for this process; returns the release. */
export function lockDataDirectory(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch {
    return () => {}; // not a usable directory: opening the store says why
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return () => {};
    }
    const pid = Number.parseInt(readOwner(file), 10);
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
      throw new DataDirectoryError(
        dataDir,
        `it is in use by another process (pid ${pid}, in ${file}); stop that broker or ` +
          'give another --data-dir (remove the file if that process is no broker)',
      );
    }
    rmSync(file, { force: true }); // left by a process that is gone
  }
  throw new DataDirectoryError(dataDir, `cannot take ${file}`);
}

function readOwner(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
