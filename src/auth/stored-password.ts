// Password hashes as databases keep them (EMQX's conventions): bcrypt, PBKDF2, a salted
// SHA-256/512, plain text as an opt-in, and LDAP userPassword values ({SSHA}, {SHA}, ...).
// Every comparison of secrets is constant-time.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { AuthConfigError, optionalChoice, optionalInteger, readObject } from './options.js';

const pbkdf2Async = promisify(pbkdf2);

export type PasswordHashOptions =
  | { algorithm: 'bcrypt' }
  | { algorithm: 'pbkdf2'; digest: 'sha256' | 'sha512'; iterations: number; keyLength?: number }
  | { algorithm: 'sha256' | 'sha512'; saltPosition: 'prefix' | 'suffix' }
  | { algorithm: 'plain' };

const ALGORITHMS = ['bcrypt', 'pbkdf2', 'sha256', 'sha512', 'plain'] as const;

/** `passwordHash: bcrypt` or `{ algorithm, ... }`; plain text only when named. */
export function parsePasswordHash(value: unknown, path: string): PasswordHashOptions {
  const object = readObject(typeof value === 'string' ? { algorithm: value } : value, path, [
    'algorithm',
    'digest',
    'iterations',
    'keyLength',
    'saltPosition',
  ]);
  const algorithm = optionalChoice(object, 'algorithm', path, ALGORITHMS);
  if (algorithm === undefined) throw new AuthConfigError(`${path}.algorithm`, 'is required');
  if (algorithm === 'pbkdf2') {
    const iterations = optionalInteger(object, 'iterations', path, 1, 10_000_000);
    if (iterations === undefined) throw new AuthConfigError(`${path}.iterations`, 'is required');
    return {
      algorithm,
      digest: optionalChoice(object, 'digest', path, ['sha256', 'sha512'] as const) ?? 'sha256',
      iterations,
      keyLength: optionalInteger(object, 'keyLength', path, 1, 1024),
    };
  }
  if (algorithm === 'sha256' || algorithm === 'sha512') {
    const positions = ['prefix', 'suffix'] as const;
    const saltPosition = optionalChoice(object, 'saltPosition', path, positions) ?? 'prefix';
    return { algorithm, saltPosition };
  }
  return { algorithm };
}

/** The stored side of a password: its hash (text) and salt, as the database holds them. */
export interface StoredPassword {
  hash: string;
  salt?: string;
}

const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const fromHex = (text: string) => (HEX.test(text) ? Buffer.from(text, 'hex') : Buffer.alloc(0));

async function digestOf(password: Buffer, salt: Buffer, options: PasswordHashOptions) {
  if (options.algorithm === 'pbkdf2') {
    const length = options.keyLength ?? (options.digest === 'sha256' ? 32 : 64);
    return pbkdf2Async(password, salt, options.iterations, length, options.digest);
  }
  if (options.algorithm === 'sha256' || options.algorithm === 'sha512') {
    const parts = options.saltPosition === 'prefix' ? [salt, password] : [password, salt];
    return createHash(options.algorithm).update(parts[0]!).update(parts[1]!).digest();
  }
  throw new Error(`no digest for ${options.algorithm}`);
}

/** True when `password` (the MQTT Password bytes) matches the stored hash. */
export async function verifyStoredPassword(
  password: Uint8Array,
  stored: StoredPassword,
  options: PasswordHashOptions,
): Promise<boolean> {
  const bytes = Buffer.from(password);
  if (options.algorithm === 'plain') return equal(bytes, Buffer.from(stored.hash, 'utf8'));
  if (options.algorithm === 'bcrypt') {
    // bcrypt reads only 72 bytes and stops at NUL: refuse what it would silently cut.
    if (bytes.length > 72 || bytes.includes(0)) return false;
    return bcrypt.compare(bytes.toString('utf8'), stored.hash).catch(() => false);
  }
  const computed = await digestOf(bytes, Buffer.from(stored.salt ?? '', 'utf8'), options);
  return equal(computed, fromHex(stored.hash));
}

const LDAP_SCHEMES: Record<string, { digest: string; salted: boolean }> = {
  SHA: { digest: 'sha1', salted: false },
  SSHA: { digest: 'sha1', salted: true },
  SHA256: { digest: 'sha256', salted: false },
  SSHA256: { digest: 'sha256', salted: true },
  SHA512: { digest: 'sha512', salted: false },
  SSHA512: { digest: 'sha512', salted: true },
};

/**
 * An LDAP userPassword value: "{SSHA}base64(digest || salt)" and its relatives (RFC 2307 style,
 * as slappasswd writes them). A value without a scheme is plain text, accepted only when
 * `allowPlain` is set.
 */
export function verifyLdapPassword(
  password: Uint8Array,
  stored: string,
  allowPlain: boolean,
): boolean {
  const match = /^\{([A-Z0-9]+)\}(.*)$/i.exec(stored);
  const bytes = Buffer.from(password);
  if (!match) return allowPlain && equal(bytes, Buffer.from(stored, 'utf8'));
  const scheme = LDAP_SCHEMES[match[1]!.toUpperCase()];
  if (!scheme) return false;
  const decoded = Buffer.from(match[2]!, 'base64');
  const size = createHash(scheme.digest).digest().length;
  const salt = scheme.salted ? decoded.subarray(size) : Buffer.alloc(0);
  const digest = createHash(scheme.digest).update(bytes).update(salt).digest();
  return equal(digest, decoded.subarray(0, size));
}
