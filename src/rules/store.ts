// Rules and connectors made or changed through the API, kept in the data directory
// (<dataDir>/rules.json) so that they survive a restart. The YAML config gives the rest:
// at start the stored entries replace config ones of the same id, deleted ones stay deleted.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectorConfig } from '../connectors/index.js';
import type { RuleConfig } from './config.js';

export interface StoredRules {
  rules: RuleConfig[];
  connectors: ConnectorConfig[];
  deletedRules: string[];
  deletedConnectors: string[];
}

export const emptyStored = (): StoredRules => ({
  rules: [],
  connectors: [],
  deletedRules: [],
  deletedConnectors: [],
});

export class RulesFile {
  readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, 'rules.json');
  }

  async load(): Promise<StoredRules> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyStored();
      throw error;
    }
    try {
      return { ...emptyStored(), ...(JSON.parse(text) as Partial<StoredRules>) };
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON: ${(error as Error).message}`);
    }
  }

  /** Writes atomically (temp file, rename), one write at a time, in call order. */
  save(state: StoredRules): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    this.writing = this.writing.then(async () => {
      await mkdir(join(this.path, '..'), { recursive: true });
      await writeFile(`${this.path}.tmp`, text);
      await rename(`${this.path}.tmp`, this.path);
    });
    return this.writing;
  }
}
