import { Buffer } from 'node:buffer';
import { SqlEvalError } from './errors.js';

/**
 * The values rules compute with and EMQX's rules for them. A value is undefined (a missing
 * field), null (JSON null), a boolean, a number, a string, a Buffer (raw bytes, e.g. a
 * payload), an array or a plain object.
 */

export type Row = Readonly<Record<string, unknown>>;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** An own property only: a field named `constructor` is not Object.prototype's. */
export const own = (object: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

/** Text of a string or of raw bytes; undefined for anything else. */
export const textOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;

/** JSON.parse of text or bytes, undefined when it is not JSON (EMQX: "not found"). */
export function decodeJson(v: string | Buffer): unknown {
  try {
    return JSON.parse(typeof v === 'string' ? v : v.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** JSON text of a value, bytes as UTF-8 text (JSON has no bytes). */
export const toJson = (v: unknown): string => JSON.stringify(v, jsonReplacer) ?? 'undefined';

function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify has already called Buffer#toJSON: read the original from the holder.
  const original = (this as Record<string, unknown>)[key];
  return Buffer.isBuffer(original) ? original.toString('utf8') : value;
}

/**
 * EMQX's str(): floats with up to 10 decimals and no trailing zeros, maps and lists as JSON,
 * undefined as 'undefined'.
 */
export function str(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return v.toString();
    default:
      if (v === null) return 'null';
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      return toJson(v);
  }
}

export function numberText(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n) || Math.abs(n) >= 1e21) return String(n);
  const fixed = n.toFixed(10).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}

/** A number from a number or numeric text (EMQX compares '20' > 10 as numbers). */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const text = textOf(v);
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

export const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : Buffer.isBuffer(v)
        ? 'binary'
        : typeof v === 'object'
          ? 'map'
          : typeof v;

/**
 * `=`: numbers by value, a number against numeric text as numbers, a boolean against its
 * text, bytes against text by content, maps and lists deeply; undefined equals only undefined.
 */
export function sqlEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' || tb === 'number') {
    if (ta === 'boolean' || tb === 'boolean') return false;
    const x = numberOf(a);
    const y = numberOf(b);
    return x !== undefined && x === y;
  }
  if (ta === 'boolean' || tb === 'boolean') return str(a) === str(b);
  const sa = textOf(a);
  const sb = textOf(b);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  return deepEquals(a, b);
}

/** Exact structural equality (IN, contains()): no conversions between types. */
export function deepEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return textOf(a) !== undefined && textOf(a) === textOf(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEquals(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && deepEquals(a[k], b[k]));
  }
  return false;
}

/**
 * `<`, `>`, ...: numbers (numeric text counts as a number when the other side is a number),
 * or text with text. A missing value compares false. Anything else cannot be ordered: the
 * rule fails for this input, as in EMQX.
 */
export function order(a: unknown, b: unknown): number | undefined {
  if (a === undefined || b === undefined || a === null || b === null) return undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = numberOf(a);
    const y = numberOf(b);
    if (x === undefined || y === undefined) throw cannotCompare(a, b);
    return x - y;
  }
  const sa = textOf(a);
  const sb = textOf(b);
  if (sa !== undefined && sb !== undefined) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw cannotCompare(a, b);
}

const cannotCompare = (a: unknown, b: unknown) =>
  new SqlEvalError(`cannot compare ${typeName(a)} ${str(a)} with ${typeName(b)} ${str(b)}`);

/** `+`: numbers add; when either side is text the two concatenate as text (EMQX). */
export function plus(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (textOf(a) !== undefined || textOf(b) !== undefined) return str(a) + str(b);
  throw badArithmetic('+', a, b);
}

export function arithmetic(op: string, a: unknown, b: unknown): number {
  if (typeof a !== 'number' || typeof b !== 'number') throw badArithmetic(op, a, b);
  switch (op) {
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0) throw new SqlEvalError('division by zero');
      return a / b;
    default: {
      // div and mod are integer operations, truncating toward zero like Erlang's div and rem.
      if (!Number.isInteger(a) || !Number.isInteger(b)) throw badArithmetic(op, a, b);
      if (b === 0) throw new SqlEvalError('division by zero');
      return op === 'div' ? Math.trunc(a / b) : a % b;
    }
  }
}

const badArithmetic = (op: string, a: unknown, b: unknown) =>
  new SqlEvalError(`bad arithmetic: ${typeName(a)} ${str(a)} ${op} ${typeName(b)} ${str(b)}`);

/** The element at a 1-based index, negative from the end (EMQX's `a[1]`, `a[-1]`). */
export function nthOf(list: readonly unknown[], index: number): unknown {
  if (!Number.isInteger(index) || index === 0) return undefined;
  return list[index > 0 ? index - 1 : list.length + index];
}

/** Elements `from..to`, both 1-based and inclusive, negative from the end. */
export function rangeOf(list: readonly unknown[], from: number, to: number): unknown[] {
  const start = from < 0 ? list.length + from : from - 1;
  const end = to < 0 ? list.length + to + 1 : to;
  return list.slice(Math.max(start, 0), Math.max(end, 0));
}

/** One step down into a value: text is read as JSON first, as EMQX does. */
export function stepInto(v: unknown, key: string | number): unknown {
  if (typeof v === 'string' || Buffer.isBuffer(v)) v = decodeJson(v);
  if (typeof key === 'number') return Array.isArray(v) ? nthOf(v, key) : undefined;
  if (isObject(v)) return own(v, key);
  return undefined;
}

/** `object[key] = value`, also for the key `__proto__` (an own property, never the prototype). */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

/**
 * Puts `value` at `keys` in `output` (EMQX's nested put for `AS a.b`), which the caller owns.
 * The objects below it are copied, never changed: they may belong to the rule's input.
 */
export function putPath(
  output: Record<string, unknown>,
  keys: readonly string[],
  value: unknown,
): void {
  let target = output;
  for (let i = 0; i < keys.length - 1; i++) {
    const inner = own(target, keys[i]!);
    const copy = isObject(inner) ? { ...inner } : {};
    setOwn(target, keys[i]!, copy);
    target = copy;
  }
  setOwn(target, keys[keys.length - 1]!, value);
}
