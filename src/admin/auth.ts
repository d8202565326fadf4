// Authentication of the HTTP API: API keys (stored as SHA-256 digests, in the config or in a
// key file written by `culex apikey`) and dashboard logins that trade a username and password
// for a short-lived bearer token.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface ApiKeyEntry {
  name: string;
  /** The key itself (fine for tests and local setups)… */
  key?: string;
  /** …or its digest, `sha256:<hex>`, as `culex apikey create` writes it. */
  hash?: string;
}

export interface DashboardUser {
  username: string;
  /** Plain text, or `scrypt:<N>:<salt>:<hash>` from `culex apikey password`. */
  password: string;
}

export interface AuthOptions {
  apiKeys?: ApiKeyEntry[];
  /** A YAML list of ApiKeyEntry, re-read when it changes. */
  apiKeyFile?: string;
  users?: DashboardUser[];
  /** Lifetime of a dashboard token, seconds. */
  tokenTtl?: number;
  now?: () => number;
}

export type Principal = { kind: 'apikey'; name: string } | { kind: 'user'; name: string };

const KEY_PREFIX = 'culex_';

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function hashPassword(password: string, salt = randomBytes(16)): string {
  const N = 16384;
  const hash = scryptSync(password, salt, 32, { N });
  return `scrypt:${N}:${salt.toString('base64')}:${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  if (!stored.startsWith('scrypt:')) return safeEqual(Buffer.from(password), Buffer.from(stored));
  const [, n, salt, hash] = stored.split(':');
  const expected = Buffer.from(hash ?? '', 'base64');
  if (expected.length === 0) return false;
  const actual = scryptSync(password, Buffer.from(salt ?? '', 'base64'), expected.length, {
    N: Number(n),
  });
  return timingSafeEqual(actual, expected);
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  // Compare digests so that the lengths leak nothing either.
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** Reads a key file: a YAML list of { name, hash } (missing file: no keys). */
export function readKeyFile(file: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const doc = parseYaml(text) as unknown;
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${file}: expected a list of API keys`);
  return doc.filter(
    (e): e is ApiKeyEntry => typeof e === 'object' && e !== null && typeof e.name === 'string',
  );
}

export class ApiAuth {
  private readonly configured = new Map<string, string>();
  private fileKeys = new Map<string, string>();
  private fileStamp = '';
  private fileCheckedAt = 0;
  private readonly tokens = new Map<string, { username: string; expiresAt: number }>();
  private readonly now: () => number;
  readonly tokenTtl: number;

  constructor(private readonly options: AuthOptions) {
    this.now = options.now ?? Date.now;
    this.tokenTtl = options.tokenTtl ?? 900;
    for (const entry of options.apiKeys ?? []) addKey(this.configured, entry);
    this.reloadKeyFile(true);
  }

  /** Who a bearer credential belongs to, or undefined. */
  verify(credential: string): Principal | undefined {
    const token = this.tokens.get(credential);
    if (token !== undefined) {
      if (token.expiresAt > this.now()) return { kind: 'user', name: token.username };
      this.tokens.delete(credential);
      return undefined;
    }
    const digest = hashApiKey(credential);
    const name = this.configured.get(digest) ?? this.fileKey(digest);
    return name === undefined ? undefined : { kind: 'apikey', name };
  }

  /** A new token for a dashboard user, or undefined when the credentials are wrong. */
  login(username: string, password: string): { token: string; expiresAt: number } | undefined {
    const user = this.options.users?.find((u) => u.username === username);
    // Verify against something even for an unknown user, so timing tells nothing.
    const ok = verifyPassword(password, user?.password ?? 'scrypt:16384:AA==:AA==');
    if (user === undefined || !ok) return undefined;
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.tokenTtl * 1000;
    this.tokens.set(token, { username, expiresAt });
    return { token, expiresAt };
  }

  logout(token: string): void {
    this.tokens.delete(token);
  }

  get hasUsers(): boolean {
    return (this.options.users?.length ?? 0) > 0;
  }

  private fileKey(digest: string): string | undefined {
    this.reloadKeyFile(false);
    return this.fileKeys.get(digest);
  }

  /** Picks up keys created or deleted by `culex apikey` while running (checked at most once a second). */
  private reloadKeyFile(force: boolean): void {
    const file = this.options.apiKeyFile;
    if (file === undefined) return;
    const now = this.now();
    if (!force && now - this.fileCheckedAt < 1000) return;
    this.fileCheckedAt = now;
    let stamp: string;
    try {
      const stat = statSync(file);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.fileStamp) return;
    this.fileStamp = stamp;
    const keys = new Map<string, string>();
    for (const entry of readKeyFile(file)) addKey(keys, entry);
    this.fileKeys = keys;
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(token);
  }
}

function addKey(into: Map<string, string>, entry: ApiKeyEntry): void {
  const digest = entry.hash ?? (entry.key === undefined ? undefined : hashApiKey(entry.key));
  if (digest !== undefined) into.set(digest, entry.name);
}
