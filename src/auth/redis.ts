// Redis as a source of credentials and ACLs (ioredis), EMQX's layout:
//   command:    HMGET mqtt_user:${username} password_hash salt is_superuser   (or HGET, HGETALL)
//   aclCommand: HGETALL mqtt_acl:${username}     fields are topic filters, values the action
// Each argument goes to Redis as one binary-safe bulk string, placeholders filled in, so a
// user name with blanks or "\r\n" can neither add arguments nor commands.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { AclRow, Credentials, DatabaseSource } from './database.js';
import { isTruthy } from './database.js';
import { AuthConfigError, optionalInteger, optionalString, type PlainObject } from './options.js';
import {
  ACL_PLACEHOLDERS,
  fill,
  type Identity,
  type Placeholder,
  PLACEHOLDERS,
  placeholdersIn,
} from './placeholders.js';

export const REDIS_KEYS = ['url', 'host', 'port', 'password', 'database'];

interface Command {
  name: string;
  args: string[];
  names: Placeholder[];
}

function parseCommand(
  text: string,
  path: string,
  allowed: readonly string[],
  facts: readonly Placeholder[],
): Command {
  const [name = '', ...args] = text.trim().split(/\s+/);
  if (!allowed.includes(name.toUpperCase())) {
    throw new AuthConfigError(path, `expected one of ${allowed.join(', ')} with its arguments`);
  }
  if (args.length === 0) throw new AuthConfigError(path, 'needs a key');
  const names = placeholdersIn(args.join(' '), path, facts);
  return { name: name.toUpperCase(), args, names };
}

const identityValue = (value: string) => value;

/** HGET, HMGET and HGETALL replies as one field → value object. */
function fieldsOf(command: Command, reply: unknown): PlainObject {
  if (command.name === 'HGET') return { password_hash: reply };
  const list = Array.isArray(reply) ? (reply as unknown[]) : [];
  const fields: PlainObject = {};
  if (command.name === 'HMGET') {
    for (const [i, field] of command.args.slice(1).entries()) fields[field] = list[i];
  } else {
    for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = list[i + 1];
  }
  return fields;
}

export class RedisSource implements DatabaseSource {
  readonly name = 'redis';
  private readonly client: Redis;
  private readonly credentialCommand?: Command;
  private readonly aclCommand?: Command;

  constructor(object: PlainObject, path: string, timeoutMs: number) {
    const command = optionalString(object, 'command', path);
    const aclCommand = optionalString(object, 'aclCommand', path);
    if (!command && !aclCommand)
      throw new AuthConfigError(path, 'needs command, aclCommand or both');
    const credentialVerbs = ['HGET', 'HMGET', 'HGETALL'];
    const at = `${path}.command`;
    if (command) this.credentialCommand = parseCommand(command, at, credentialVerbs, PLACEHOLDERS);
    const aclAt = `${path}.aclCommand`;
    if (aclCommand)
      this.aclCommand = parseCommand(aclCommand, aclAt, ['HGETALL'], ACL_PLACEHOLDERS);
    const url = optionalString(object, 'url', path);
    const options = {
      host: optionalString(object, 'host', path),
      port: optionalInteger(object, 'port', path, 1, 65_535),
      password: optionalString(object, 'password', path),
      db: optionalInteger(object, 'database', path, 0, 1000),
      lazyConnect: true,
      // While Redis is away, commands fail at once instead of queueing without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, 1_000),
    };
    const { Redis: Client } = load();
    this.client = url ? new Client(url, options) : new Client(options);
    this.client.on('error', () => {}); // reconnection is ioredis' job; queries report failures
    // The first queries wait for the first connection (within the lookup's timeout); later,
    // while Redis is away, they fail at once.
    this.firstReady = new Promise((resolve) => this.client.once('ready', resolve));
    this.client.connect().catch(() => {});
  }

  private readonly firstReady: Promise<unknown>;

  get authenticates(): boolean {
    return this.credentialCommand !== undefined;
  }

  get authorizes(): boolean {
    return this.aclCommand !== undefined;
  }

  get credentialFacts() {
    return this.credentialCommand?.names ?? [];
  }

  get aclFacts() {
    return this.aclCommand?.names ?? [];
  }

  private async send(command: Command, identity: Identity): Promise<unknown> {
    const args = command.args.map((arg) => fill(arg, identity, identityValue)!);
    await this.firstReady;
    return this.client.call(command.name, ...args);
  }

  async credentials(identity: Identity): Promise<Credentials | null> {
    const command = this.credentialCommand!;
    const fields = fieldsOf(command, await this.send(command, identity));
    const hash = fields.password_hash ?? fields.password;
    if (hash === null || hash === undefined) return null;
    const salt = typeof fields.salt === 'string' ? fields.salt : undefined;
    return { hash: String(hash), salt, superuser: isTruthy(fields.is_superuser) };
  }

  async aclRows(identity: Identity): Promise<AclRow[]> {
    const command = this.aclCommand!;
    const fields = fieldsOf(command, await this.send(command, identity));
    // EMQX's Redis ACL holds allow rules only: field = topic filter, value = action.
    return Object.entries(fields).map(([topic, action]) => ({
      permission: 'allow',
      action: String(action),
      topic,
    }));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

// Loaded on first use: a broker that does not use it does not carry the module's memory
// (tens of MB, in every process of `culex start --workers`).
const load = () => createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
