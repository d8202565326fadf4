// Redis connector: each sink is a command template (`HSET k:${clientid} temp ${t}`, `XADD`,
// `PUBLISH`, `SET k v EX 60`); a batch is one pipeline. ioredis reconnects by itself; with
// its offline queue off, a command while disconnected fails at once and the sink's buffer
// holds the records instead.
import { Redis } from 'ioredis';
import { ConnectorBase, isConnectionError } from './base.js';
import { type Settings, fail, readInt, readUrl, requireString } from './config.js';
import { type SinkWriter, TargetDown } from './delivery.js';
import { template } from './template.js';
import type { ConnectorConfig, ConnectorDeps } from './types.js';

const CONNECTOR_KEYS = ['name', 'type', 'url', 'connectTimeoutMs'];

type Command = string[];

/** Error replies that pass: loading the dataset, a busy script, a failover. */
const TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY)\b/;

export class RedisConnector extends ConnectorBase {
  readonly #redis: Redis;

  constructor(config: ConnectorConfig, deps: ConnectorDeps) {
    super(config, 'redis', deps, CONNECTOR_KEYS);
    const where = this.where;
    const url = readUrl(config, 'url', where, ['redis:', 'rediss:']);
    this.#redis = new Redis(url.href, {
      connectTimeout: readInt(config, 'connectTimeoutMs', where, {
        min: 1,
        max: 3_600_000,
        fallback: 5_000,
      }),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    });
    this.#redis.on('ready', () => this.setStatus('connected'));
    this.#redis.on('reconnecting', () => this.setStatus('connecting'));
    this.#redis.on('close', () => this.setStatus('disconnected'));
    this.#redis.on('error', (error) => this.connectionLost(error));
  }

  protected readonly sinkKeys = ['command'];

  protected writer(settings: Settings, where: string): SinkWriter<Command> {
    const command = requireString(settings, 'command', where);
    const words = splitCommand(command, where).map((word) => template(word, where, 'command'));
    if (!/^[A-Za-z][A-Za-z.]*$/.test(words[0]!.render({}))) {
      fail(where, `command must start with a Redis command name, not '${words[0]!.render({})}'`);
    }
    return {
      prepare: (output) => words.map((word) => word.render(output)),
      write: (batch) => this.#pipeline(batch),
    };
  }

  /** Runs the batch as one pipeline; resolves with the errors of the commands Redis refused. */
  async #pipeline(batch: readonly Command[]): Promise<Error[]> {
    const pipeline = this.#redis.pipeline();
    for (const [name, ...args] of batch) pipeline.call(name!, ...args);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw downOr(error as Error);
    }
    const errors = (results ?? []).flatMap(([error]) => (error ? [error] : []));
    const down = errors.map(downOr).find((e) => e instanceof TargetDown);
    if (down) throw down;
    // Redis starting or busy: the whole batch again (at least once), not a refusal.
    const transient = errors.find((e) => TRANSIENT.test(e.message));
    if (transient) throw new Error(`Redis: ${transient.message}`, { cause: transient });
    return errors;
  }

  protected async disconnect(): Promise<void> {
    this.#redis.disconnect();
  }
}

/** A lost or missing connection as TargetDown (retried while it lasts); others as they are. */
function downOr(error: Error): Error {
  // MaxRetriesPerRequestError: a command in flight when the connection dropped (no resend).
  const down =
    isConnectionError(error) ||
    error.name === 'MaxRetriesPerRequestError' ||
    /connection|writeable|closed|max retries per request/i.test(error.message);
  return down ? new TargetDown(`Redis: ${error.message}`, { cause: error }) : error;
}

/** Words separated by spaces; "double quotes" keep spaces inside one word. */
export function splitCommand(command: string, where: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of command.matchAll(pattern)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  }
  if (words.length === 0) fail(where, 'command is required');
  return words;
}
