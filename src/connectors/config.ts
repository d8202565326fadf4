// Reading connector and sink settings: every key is checked, and a bad one is named in the
// message (`connector 'hook': timeoutMs must be an integer from 1 to 3600000, not -1`).

export type Settings = Readonly<Record<string, unknown>>;

export class ConnectorConfigError extends Error {
  override name = 'ConnectorConfigError';
}

/** What the settings belong to, for messages: `connector 'pg'`, `sink 'r1/2' (connector 'pg')`. */
export type Where = string;

export function fail(where: Where, problem: string): never {
  throw new ConnectorConfigError(`${where}: ${problem}`);
}

/** Refuses keys outside `allowed`: a typo must not silently fall back to a default. */
export function checkKeys(settings: Settings, allowed: readonly string[], where: Where): void {
  for (const key of Object.keys(settings)) {
    if (!allowed.includes(key)) fail(where, `unknown key '${key}' (known: ${allowed.join(', ')})`);
  }
}

export function readString(settings: Settings, key: string, where: Where): string | undefined {
  const value = settings[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(where, `${key} must be a string, not ${describe(value)}`);
  return value;
}

export function requireString(settings: Settings, key: string, where: Where): string {
  const value = readString(settings, key, where);
  if (value === undefined || value === '') fail(where, `${key} is required`);
  return value;
}

export function readInt(
  settings: Settings,
  key: string,
  where: Where,
  range: { min: number; max: number; fallback: number },
): number {
  const value = settings[key] ?? range.fallback;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < range.min ||
    value > range.max
  ) {
    fail(
      where,
      `${key} must be an integer from ${range.min} to ${range.max}, not ${describe(value)}`,
    );
  }
  return value;
}

export function readBoolean(
  settings: Settings,
  key: string,
  where: Where,
  fallback: boolean,
): boolean {
  const value = settings[key] ?? fallback;
  if (typeof value !== 'boolean')
    fail(where, `${key} must be true or false, not ${describe(value)}`);
  return value;
}

export function readOneOf<T extends string | number>(
  settings: Settings,
  key: string,
  where: Where,
  choices: readonly T[],
  fallback: T,
): T {
  const value = (settings[key] ?? fallback) as T;
  if (!choices.includes(value)) {
    fail(where, `${key} must be one of ${choices.join(', ')}, not ${describe(value)}`);
  }
  return value;
}

/** A map of strings (HTTP headers): keys and values must both be strings. */
export function readStringMap(
  settings: Settings,
  key: string,
  where: Where,
): Record<string, string> {
  const value = settings[key];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(where, `${key} must be a map of strings, not ${describe(value)}`);
  }
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string') fail(where, `${key}.${name} must be a string`);
  }
  return value as Record<string, string>;
}

/** A URL of one of `protocols` (with the colon: 'http:'). */
export function readUrl(
  settings: Settings,
  key: string,
  where: Where,
  protocols: readonly string[],
): URL {
  const text = requireString(settings, key, where);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(where, `${key} is not a valid URL: '${text}'`);
  }
  if (!protocols.includes(url.protocol)) {
    fail(where, `${key} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return url;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a map';
  return String(value);
}
