// The rule engine opened when first needed: at start when the config or the data directory
// has rules or connectors, else on the first API call that reads or makes one. Until then the
// broker runs without it and the connectors' client libraries (pg, redis, nats, …) stay
// unloaded: a broker that uses no rules pays nothing for them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../broker/broker.js';
import type { RulesOptions, RulesService } from './service.js';

export class RulesHost {
  private opening: Promise<RulesService> | undefined;
  /** The service once open. */
  current: RulesService | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly options: RulesOptions,
  ) {}

  /** Opens at once when there is something to run (a bad config fails start-up here). */
  async start(): Promise<void> {
    const { rules = [], connectors = [], dataDir } = this.options;
    const saved = dataDir !== undefined && existsSync(join(dataDir, 'rules.json'));
    if (rules.length > 0 || connectors.length > 0 || saved) await this.get();
  }

  /** The service, opened on first use. */
  get(): Promise<RulesService> {
    this.opening ??= import('./service.js').then(async ({ RulesService }) => {
      this.current = await RulesService.open(this.broker, this.options);
      return this.current;
    });
    return this.opening;
  }

  async close(): Promise<void> {
    if (this.opening === undefined) return;
    const service = await this.opening.catch(() => undefined);
    await service?.close();
  }
}
