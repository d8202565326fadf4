// Retained messages in LMDB, one record per topic: saving overwrites, deleting removes it.
import type { MessageRecord, RetainedStore } from '../broker/ports.js';
import { nameKey } from './lmdb-keys.js';
import { LmdbHalf } from './lmdb-half.js';
import { DataDirectoryError, describe } from './lmdb-open.js';
import type { LmdbDatabases } from './lmdb-open.js';
import type { LmdbWriter } from './lmdb-writer.js';
import { decodeMessage, encodeMessage } from './record-codec.js';

export class LmdbRetainedStore extends LmdbHalf implements RetainedStore {
  constructor(databases: LmdbDatabases, writer: LmdbWriter, release: () => Promise<void>) {
    super(databases, writer, release, 'retained');
  }

  async load(): Promise<MessageRecord[]> {
    this.checkOpen();
    await this.writer.flush();
    try {
      return Array.from(this.databases.retained.getRange(), ({ value }) => decodeMessage(value));
    } catch (error) {
      const problem = `a retained message record is damaged (${describe(error)})`;
      throw new DataDirectoryError(this.writer.dataDir, problem, { cause: error });
    }
  }

  save(message: MessageRecord): void {
    this.checkOpen();
    // The topic is in the value too, so a digest key loses nothing.
    this.writer.put(this.databases.retained, nameKey(message.topic), encodeMessage(message));
  }

  delete(topic: string): void {
    this.checkOpen();
    this.writer.remove(this.databases.retained, nameKey(topic));
  }
}
