import { Buffer } from 'node:buffer';
import { SqlEvalError } from '../errors.js';
import type { Scope, SqlFunction } from '../scope.js';
import { decodeJson, isObject, str, textOf, typeName } from '../values.js';

/** Argument checks shared by the built-ins: each throws a message naming what was wrong. */

export const bad = (expected: string, value: unknown) =>
  new SqlEvalError(`expected ${expected}, got ${typeName(value)} ${str(value)}`);

export function num(v: unknown): number {
  if (typeof v !== 'number') throw bad('a number', v);
  return v;
}

export function int(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer', v);
  return v;
}

export function text(v: unknown): string {
  const t = textOf(v);
  if (t === undefined) throw bad('a string', v);
  return t;
}

/** Bytes of text or a binary (hashes, base64, hex). Other values as their str() text. */
export const bytes = (v: unknown): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : str(v), 'utf8');

/** A list, or JSON text of one. */
export function list(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const decoded = typeof v === 'string' || Buffer.isBuffer(v) ? decodeJson(v) : undefined;
  if (Array.isArray(decoded)) return decoded;
  throw bad('an array', v);
}

/** A map, or JSON text of one. */
export function map(v: unknown): Record<string, unknown> {
  if (isObject(v)) return v;
  const decoded = typeof v === 'string' || Buffer.isBuffer(v) ? decodeJson(v) : undefined;
  if (isObject(decoded)) return decoded;
  throw bad('a map', v);
}

/** One of the words `allowed`, `fallback` when absent. */
export function option<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  const word = textOf(v);
  if (word !== undefined && (allowed as readonly string[]).includes(word)) return word as T;
  throw bad(allowed.map((a) => `'${a}'`).join(' or '), v);
}

/** Bytes from binary output: text when they are valid UTF-8, else the Buffer itself. */
export function fromBytes(buffer: Buffer): string | Buffer {
  try {
    return STRICT_UTF8.decode(buffer);
  } catch {
    return buffer;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings a function may build from payload-controlled sizes stay below this. */
export const MAX_BUILT = 1 << 20;

export function checkSize(length: number): void {
  if (length > MAX_BUILT) throw new SqlEvalError(`would build more than ${MAX_BUILT} characters`);
}

type Call = (args: unknown[], scope: Scope) => unknown;

export const fixed = (arity: number, call: Call): SqlFunction => ({ min: arity, max: arity, call });
export const ranged = (min: number, max: number, call: Call): SqlFunction => ({ min, max, call });
export const impure = (min: number, max: number, call: Call): SqlFunction => ({
  min,
  max,
  impure: true,
  call,
});

/** A function that reads these input fields itself (see SqlFunction.reads). */
export const reading = (reads: readonly string[], fn: SqlFunction): SqlFunction => ({
  ...fn,
  reads,
});
