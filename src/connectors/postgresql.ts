// PostgreSQL connector: a pg pool; each sink is an INSERT template whose `${...}` become
// parameters ($1, $2, ...). A batch is one multi-row INSERT (the VALUES group repeated) run
// as a named, so prepared, statement; SQL that is not `INSERT ... VALUES (...)` runs once per
// record inside one transaction per batch.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConnectorBase, isConnectionError } from './base.js';
import { type Settings, fail, readInt, readUrl, requireString } from './config.js';
import { Rejected, type SinkWriter, TargetDown } from './delivery.js';
import { sqlTemplate } from './template.js';
import type { ConnectorConfig, ConnectorDeps } from './types.js';

const CONNECTOR_KEYS = ['name', 'type', 'url', 'pool', 'connectTimeoutMs'];
/** PostgreSQL's limit of parameters in one statement. */
const MAX_PARAMETERS = 65_535;
/** Answers about the data or the statement (SQLSTATE classes 22, 23, 42): retrying cannot help. */
const REFUSED_CLASSES = new Set(['22', '23', '42']);
/** Wrong parameters for the statement: in class 08, but the data's fault. */
const PROTOCOL_VIOLATION = '08P01';
/** Connection exceptions and a server shutting down (classes 08, 57). */
const DOWN_CLASSES = new Set(['08', '57']);

type Row = unknown[];

export class PostgresConnector extends ConnectorBase {
  readonly #pool: pg.Pool;

  constructor(config: ConnectorConfig, deps: ConnectorDeps) {
    super(config, 'postgresql', deps, CONNECTOR_KEYS);
    const where = this.where;
    const url = readUrl(config, 'url', where, ['postgres:', 'postgresql:']);
    this.#pool = new pg.Pool({
      connectionString: url.href,
      max: readInt(config, 'pool', where, { min: 1, max: 100, fallback: 4 }),
      connectionTimeoutMillis: readInt(config, 'connectTimeoutMs', where, {
        min: 1,
        max: 3_600_000,
        fallback: 5_000,
      }),
    });
    // An idle client losing its server: the pool drops it; the next query finds out.
    this.#pool.on('error', (error) => this.connectionLost(error));
    // A client in use between two statements gets the server's goodbye (57P01 when it is
    // stopped) as an 'error' event with nobody listening: without a listener that is an
    // uncaught exception, and the broker would crash. Its next statement fails anyway.
    this.#pool.on('connect', (client) => {
      client.on('error', (error) => this.connectionLost(error));
      this.setStatus('connected');
    });
    this.#pool.query('SELECT 1').catch((error) => this.connectionLost(error));
  }

  protected readonly sinkKeys = ['sql'];

  protected writer(settings: Settings, where: string, id: string): SinkWriter<Row> {
    const sql = requireString(settings, 'sql', where);
    if (!/^\s*insert\s/i.test(sql)) fail(where, 'sql must be an INSERT statement');
    const template = sqlTemplate(sql, where, 'sql');
    const multiRow = splitValues(template.text);
    // Statement names are per sink and SQL text: a rule edited under the same id prepares anew.
    const name = `culex_${createHash('sha1').update(`${id}\n${sql}`).digest('hex').slice(0, 16)}`;
    const maxRows = multiRow ? Math.floor(MAX_PARAMETERS / Math.max(1, multiRow.width)) : 0;
    return {
      prepare: (output) => template.params(output),
      write: (rows) =>
        multiRow && rows.length <= maxRows
          ? this.#insertRows(multiRow, rows, `${name}_${rows.length}`)
          : this.#transaction({ name, text: template.text }, rows),
    };
  }

  async #insertRows(sql: MultiRow, rows: readonly Row[], name: string): Promise<undefined> {
    const text = `${sql.head}${rows.map((_r, i) => sql.group(i * sql.width)).join(',')}${sql.tail}`;
    await this.#run((client) => client.query({ name, text, values: rows.flat() }));
    return undefined;
  }

  async #transaction(statement: { name: string; text: string }, rows: readonly Row[]) {
    await this.#run(async (client) => {
      await client.query('BEGIN');
      try {
        for (const values of rows) await client.query({ ...statement, values });
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
    return undefined;
  }

  /** Runs `work` on a pooled client, sorting failures into down, refused and retried. */
  async #run(work: (client: pg.PoolClient) => Promise<unknown>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      this.connectionLost(error);
      throw new TargetDown(`PostgreSQL: ${(error as Error).message}`, { cause: error });
    }
    try {
      await work(client);
      client.release();
      this.setStatus('connected');
    } catch (error) {
      const sqlState = (error as { code?: string }).code;
      const sqlClass = sqlState?.slice(0, 2);
      const refused =
        sqlState === PROTOCOL_VIOLATION ||
        (sqlClass !== undefined && REFUSED_CLASSES.has(sqlClass));
      // A client whose statement was refused is healthy; any other is discarded by the pool.
      client.release(refused ? undefined : (error as Error));
      const message = `PostgreSQL: ${(error as Error).message}`;
      if (refused) throw new Rejected(message);
      if (sqlClass === undefined || DOWN_CLASSES.has(sqlClass) || isConnectionError(error)) {
        this.connectionLost(error);
        throw new TargetDown(message, { cause: error });
      }
      throw new Error(message, { cause: error });
    }
  }

  protected async disconnect(): Promise<void> {
    await this.#pool.end();
  }
}

interface MultiRow {
  head: string;
  tail: string;
  width: number;
  /** The VALUES group with its parameters numbered from `offset` + 1. */
  group(offset: number): string;
}

/**
 * `INSERT INTO t(a,b) VALUES ($1,$2) ON CONFLICT DO NOTHING` → head, the group, tail; undefined
 * when the statement has no VALUES group holding every parameter (it cannot be repeated).
 */
export function splitValues(text: string): MultiRow | undefined {
  const match = /\bvalues\s*\(/i.exec(text);
  if (!match) return undefined;
  const open = match.index + match[0].length - 1;
  const close = closingParenthesis(text, open);
  if (close < 0) return undefined;
  const group = text.slice(open, close + 1);
  const numbers = (part: string) => (part.match(/\$\d+/g) ?? []).map((p) => Number(p.slice(1)));
  const inGroup = numbers(group);
  const all = numbers(text);
  if (inGroup.length !== all.length) return undefined;
  return {
    head: text.slice(0, open),
    tail: text.slice(close + 1),
    // A path used twice is one parameter: a row has as many values as the highest number.
    width: Math.max(0, ...all),
    group: (offset) => group.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`),
  };
}

/** Index of the parenthesis closing the one at `open`, skipping quoted text; -1 if none. */
function closingParenthesis(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}
