// Mosquitto password files: one "username:hash" per line, as written by mosquitto_passwd.
// "$7$<iterations>$<salt>$<hash>" is PBKDF2-HMAC-SHA512 (mosquitto 2.0, 101 iterations by
// default); "$6$<salt>$<hash>" is SHA512(password || salt) (mosquitto 1.6 and earlier). Salt and
// hash are standard base64 with padding; the salt is 12 random bytes, the hash 64 bytes.
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { AuthResult, Authenticator, ConnectRequest } from '../broker/ports.js';
import { badCredentials } from './decision.js';
import { type FactoryContext, readObject, requiredString } from './options.js';

const pbkdf2Async = promisify(pbkdf2);

export type PasswordHash =
  | { scheme: 'sha512-pbkdf2'; iterations: number; salt: Buffer; hash: Buffer }
  | { scheme: 'sha512'; salt: Buffer; hash: Buffer };

/** mosquitto_passwd's iteration count for $7$ hashes. */
export const PBKDF2_DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

/** Parses the hash field of a password file line; undefined when it is no known format. */
export function parsePasswordHash(text: string): PasswordHash | undefined {
  const parts = text.split('$');
  if (parts[0] !== '') return undefined;
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = /^[1-9][0-9]{0,9}$/.test(parts[2]!) ? Number(parts[2]) : 0;
    const salt = decodeBase64(parts[3]!);
    const hash = decodeBase64(parts[4]!);
    if (iterations === 0 || !salt || hash?.length !== HASH_BYTES) return undefined;
    return { scheme: 'sha512-pbkdf2', iterations, salt, hash };
  }
  if (parts[1] === '6' && parts.length === 4) {
    const salt = decodeBase64(parts[2]!);
    const hash = decodeBase64(parts[3]!);
    if (!salt || hash?.length !== HASH_BYTES) return undefined;
    return { scheme: 'sha512', salt, hash };
  }
  return undefined;
}

export function formatPasswordHash(hash: PasswordHash): string {
  const salt = hash.salt.toString('base64');
  const digest = hash.hash.toString('base64');
  return hash.scheme === 'sha512-pbkdf2'
    ? `$7$${hash.iterations}$${salt}$${digest}`
    : `$6$${salt}$${digest}`;
}

async function digest(password: Uint8Array, hash: PasswordHash): Promise<Buffer> {
  if (hash.scheme === 'sha512')
    return createHash('sha512').update(password).update(hash.salt).digest();
  return pbkdf2Async(password, hash.salt, hash.iterations, HASH_BYTES, 'sha512');
}

/** True when `password` (the bytes of the MQTT Password field) matches; constant-time compare. */
export async function verifyPassword(
  password: Uint8Array | string,
  hash: PasswordHash,
): Promise<boolean> {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const computed = await digest(bytes, hash);
  return computed.length === hash.hash.length && timingSafeEqual(computed, hash.hash);
}

/** A "$7$…" hash field, as mosquitto_passwd writes it: 12 random salt bytes. */
export async function hashPassword(
  password: string | Uint8Array,
  iterations = PBKDF2_DEFAULT_ITERATIONS,
): Promise<string> {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`iterations must be a positive integer, not ${iterations}`);
  }
  const salt = randomBytes(SALT_BYTES);
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const hash = await pbkdf2Async(bytes, salt, iterations, HASH_BYTES, 'sha512');
  return formatPasswordHash({ scheme: 'sha512-pbkdf2', iterations, salt, hash });
}

/** A line is an entry unless it is blank or a comment, as in mosquitto. */
export function isEntryLine(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.length > 0 && !trimmed.startsWith('#');
}

/** Splits an entry line at its first ':'; mosquitto trims blanks around both parts. */
export function splitEntryLine(line: string): { username: string; hash: string } | undefined {
  const colon = line.indexOf(':');
  if (colon === -1) return undefined;
  return { username: line.slice(0, colon).trim(), hash: line.slice(colon + 1).trim() };
}

/** Parses a whole file; errors name `fileName` and the line number. */
export function parsePasswordFile(text: string, fileName: string): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>();
  text.split('\n').forEach((line, index) => {
    if (!isEntryLine(line)) return;
    const where = `${fileName}:${index + 1}`;
    const entry = splitEntryLine(line);
    if (!entry || entry.username.length === 0) {
      throw new Error(`${where}: expected "username:hash"`);
    }
    const hash = parsePasswordHash(entry.hash);
    if (!hash) {
      throw new Error(
        `${where}: the password of "${entry.username}" is not a $7$ (PBKDF2-SHA512) or $6$ (SHA512) hash; set it again with culex passwd`,
      );
    }
    if (users.has(entry.username))
      throw new Error(`${where}: user "${entry.username}" is listed twice`);
    users.set(entry.username, hash);
  });
  return users;
}

export function serializePasswordFile(users: ReadonlyMap<string, PasswordHash>): string {
  let text = '';
  for (const [username, hash] of users) text += `${username}:${formatPasswordHash(hash)}\n`;
  return text;
}

export interface PasswordFileOptions {
  file: string;
}

/** Checks CONNECT credentials against a mosquitto password file. */
export class PasswordFileAuthenticator implements Authenticator {
  /** Compared against for unknown users, so that they take as long as known ones. */
  private readonly decoy: PasswordHash = {
    scheme: 'sha512-pbkdf2',
    iterations: PBKDF2_DEFAULT_ITERATIONS,
    salt: randomBytes(SALT_BYTES),
    hash: randomBytes(HASH_BYTES),
  };

  constructor(
    private users: ReadonlyMap<string, PasswordHash>,
    readonly file?: string,
  ) {}

  static async fromConfig(options: unknown, context: FactoryContext = {}) {
    const path = context.path ?? 'auth.passwordFile';
    const file = requiredString(readObject(options, path, ['file']), 'file', path);
    const authenticator = new PasswordFileAuthenticator(new Map(), file);
    await authenticator.reload();
    return authenticator;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Re-reads the file (SIGHUP). On error the old table stays in force and the error is thrown. */
  async reload(): Promise<void> {
    if (this.file === undefined) return;
    this.users = parsePasswordFile(await readFile(this.file, 'utf8'), this.file);
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    if (request.username === undefined) return badCredentials('no user name', false);
    const hash = this.users.get(request.username);
    const password = request.password ?? new Uint8Array(0);
    if (!hash) {
      await verifyPassword(password, this.decoy);
      return badCredentials('unknown user', false);
    }
    if (request.password === undefined) return badCredentials('no password', true);
    if (!(await verifyPassword(password, hash))) return badCredentials('wrong password', true);
    return { ok: true, username: request.username };
  }
}
