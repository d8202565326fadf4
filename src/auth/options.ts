// Checks on the plain option objects the `fromConfig` factories take (parsed YAML), so that a
// mistake in the config file is reported with its key and what is allowed there.

import type { DenialLogger } from './decision.js';

export type PlainObject = Record<string, unknown>;

/** A config mistake; `path` is the dotted key, e.g. "auth.jwt.algorithms". */
export class AuthConfigError extends Error {
  constructor(
    readonly path: string,
    problem: string,
    options?: { cause: unknown },
  ) {
    super(`${path}: ${problem}`, options);
    this.name = 'AuthConfigError';
  }
}

/** Returns `value` as an object whose keys are all in `allowed`, else throws naming the key. */
export function readObject(value: unknown, path: string, allowed: readonly string[]): PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthConfigError(path, `expected an object with keys ${allowed.join(', ')}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new AuthConfigError(`${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
  return value as PlainObject;
}

export function optionalString(object: PlainObject, key: string, path: string) {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new AuthConfigError(`${path}.${key}`, 'expected a non-empty string');
  }
  return value;
}

export function requiredString(object: PlainObject, key: string, path: string): string {
  const value = optionalString(object, key, path);
  if (value === undefined) throw new AuthConfigError(`${path}.${key}`, 'is required');
  return value;
}

export function optionalBoolean(object: PlainObject, key: string, path: string) {
  const value = object[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw new AuthConfigError(`${path}.${key}`, 'expected true or false');
}

/** An integer in [min, max]. */
export function optionalInteger(
  object: PlainObject,
  key: string,
  path: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AuthConfigError(`${path}.${key}`, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

export function optionalChoice<T extends string>(
  object: PlainObject,
  key: string,
  path: string,
  choices: readonly T[],
): T | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new AuthConfigError(`${path}.${key}`, `expected one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** A string or a non-empty list of strings, returned as a list. */
export function optionalStrings(object: PlainObject, key: string, path: string) {
  const value = object[key];
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((item) => typeof item === 'string' && item.length > 0)
  ) {
    throw new AuthConfigError(`${path}.${key}`, 'expected a string or a list of strings');
  }
  return list as string[];
}

/** What a `fromConfig` factory gets besides the options: where they sit, and the logger. */
export interface FactoryContext {
  /** The dotted key of the options, for error messages; each factory has a default. */
  path?: string;
  log?: DenialLogger;
}
