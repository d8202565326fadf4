// What the session store and the retained store over one LMDB environment share: the writer,
// and closing their half (the environment closes when both halves have, see lmdb.ts).
import type { LmdbDatabases } from './lmdb-open.js';
import type { LmdbWriter } from './lmdb-writer.js';

export abstract class LmdbHalf {
  private closed = false;

  constructor(
    protected readonly databases: LmdbDatabases,
    protected readonly writer: LmdbWriter,
    private readonly release: () => Promise<void>,
    /** For the error message: 'session' or 'retained'. */
    private readonly what: string,
  ) {}

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    this.closed = true;
    return this.release();
  }

  protected checkOpen(): void {
    if (this.closed)
      throw new Error(`culex: the ${this.what} store in ${this.writer.dataDir} is closed`);
    this.writer.checkOpen();
  }
}
