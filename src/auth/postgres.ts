// PostgreSQL as a source of credentials and ACL rows (`pg`, pooled). The queries are the
// operator's; their ${...} placeholders are bound as parameters ($1, $2, ...), so a client id
// such as "x' OR '1'='1" is only ever a value.
//   query:    SELECT password_hash, salt, is_superuser FROM mqtt_user WHERE username = ${username}
//   aclQuery: SELECT permission, action, topic FROM mqtt_acl WHERE username = ${username}
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { AclRow, Credentials, DatabaseSource } from './database.js';
import { isTruthy } from './database.js';
import { AuthConfigError, optionalInteger, optionalString, type PlainObject } from './options.js';
import {
  ACL_PLACEHOLDERS,
  type Identity,
  type Placeholder,
  toSqlParameters,
} from './placeholders.js';

export const POSTGRES_KEYS = ['url', 'host', 'port', 'database', 'user', 'password', 'poolSize'];

interface Statement {
  text: string;
  names: Placeholder[];
}

const NONE: Statement = { text: '', names: [] };

export class PostgresSource implements DatabaseSource {
  readonly name = 'postgres';
  private readonly pool: pg.Pool;
  private readonly credentialQuery: Statement;
  private readonly aclQuery: Statement;

  constructor(object: PlainObject, path: string, timeoutMs: number) {
    const query = optionalString(object, 'query', path);
    const aclQuery = optionalString(object, 'aclQuery', path);
    if (!query && !aclQuery) throw new AuthConfigError(path, 'needs query, aclQuery or both');
    this.credentialQuery = query ? toSqlParameters(query, `${path}.query`) : NONE;
    this.aclQuery = aclQuery
      ? toSqlParameters(aclQuery, `${path}.aclQuery`, ACL_PLACEHOLDERS)
      : NONE;
    this.pool = new (load().Pool)({
      connectionString: optionalString(object, 'url', path),
      host: optionalString(object, 'host', path),
      port: optionalInteger(object, 'port', path, 1, 65_535),
      database: optionalString(object, 'database', path),
      user: optionalString(object, 'user', path),
      password: optionalString(object, 'password', path),
      max: optionalInteger(object, 'poolSize', path, 1, 1000) ?? 8,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server dropped: the pool replaces it; nothing to crash about.
    this.pool.on('error', () => {});
  }

  get authenticates(): boolean {
    return this.credentialQuery.text !== '';
  }

  get authorizes(): boolean {
    return this.aclQuery.text !== '';
  }

  get credentialFacts() {
    return this.credentialQuery.names;
  }

  get aclFacts() {
    return this.aclQuery.names;
  }

  private async rows(statement: Statement, identity: Identity) {
    const values = statement.names.map((name) => identity[name]);
    return (await this.pool.query({ text: statement.text, values })).rows as PlainObject[];
  }

  async credentials(identity: Identity): Promise<Credentials | null> {
    const row = (await this.rows(this.credentialQuery, identity))[0];
    if (!row) return null;
    const hash = row.password_hash ?? row.password;
    if (typeof hash !== 'string') throw new Error('the query returned no password_hash column');
    const salt = row.salt === null || row.salt === undefined ? undefined : String(row.salt);
    return { hash, salt, superuser: isTruthy(row.is_superuser) };
  }

  async aclRows(identity: Identity): Promise<AclRow[]> {
    return (await this.rows(this.aclQuery, identity)).map((row) => ({
      permission: String(row.permission),
      action: String(row.action),
      topic: String(row.topic),
    }));
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

// Loaded on first use: a broker that does not use it does not carry the module's memory
// (tens of MB, in every process of `culex start --workers`).
const load = () => createRequire(import.meta.url)('pg') as typeof pg;
