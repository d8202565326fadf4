import { Buffer } from 'node:buffer';
import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { decodeJson, isObject, str, textOf } from '../values.js';
import { bad, fixed, int, map, num, ranged } from './args.js';

/** EMQX's int(): floats round down, text is read as an integer or a float. */
function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.floor(v);
  const t = textOf(v)?.trim();
  if (t !== undefined && t !== '' && Number.isFinite(Number(t))) return Math.floor(Number(t));
  throw bad('a number or numeric text', v);
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  const t = textOf(v)?.trim();
  if (t !== undefined && t !== '' && Number.isFinite(Number(t))) return Number(t);
  throw bad('a number or numeric text', v);
}

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  const t = textOf(v);
  if (t === 'true' || t === 'false') return t === 'true';
  throw bad('true, false, 1, 0 or their text', v);
}

/** float2str(): `decimals` digits at most, trailing zeros dropped. */
function float2str(value: number, decimals: number): string {
  if (decimals < 0 || decimals > 100) throw new SqlEvalError('decimals must be in 0..100');
  const fixedText = value.toFixed(decimals);
  if (!fixedText.includes('.')) return fixedText;
  const trimmed = fixedText.replace(/0+$/, '');
  return trimmed.endsWith('.') ? `${trimmed}0` : trimmed;
}

const isNull = (v: unknown) => v === undefined;
const isNullVar = (v: unknown) => v === undefined || v === null;

function isEmpty(v: unknown): boolean {
  const value = typeof v === 'string' || Buffer.isBuffer(v) ? decodeJson(v) : v;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  throw bad('a map or an array', v);
}

export const CONVERT: Record<string, SqlFunction> = {
  str: fixed(1, ([v]) => str(v)),
  str_utf8: fixed(1, ([v]) => str(v)),
  int: fixed(1, ([v]) => toInt(v)),
  float: ranged(1, 2, ([v, decimals]) => {
    const f = toFloat(v);
    return decimals === undefined ? f : Number(f.toFixed(int(decimals)));
  }),
  float2str: fixed(2, ([v, decimals]) => float2str(num(v), int(decimals))),
  bool: fixed(1, ([v]) => toBool(v)),
  map: fixed(1, ([v]) => map(v)),
  is_null: fixed(1, ([v]) => isNull(v)),
  is_not_null: fixed(1, ([v]) => !isNull(v)),
  is_null_var: fixed(1, ([v]) => isNullVar(v)),
  is_not_null_var: fixed(1, ([v]) => !isNullVar(v)),
  is_str: fixed(1, ([v]) => textOf(v) !== undefined),
  is_num: fixed(1, ([v]) => typeof v === 'number'),
  is_int: fixed(1, ([v]) => Number.isInteger(v)),
  is_float: fixed(1, ([v]) => typeof v === 'number' && !Number.isInteger(v)),
  is_bool: fixed(1, ([v]) => typeof v === 'boolean'),
  is_map: fixed(1, ([v]) => isObject(v)),
  is_array: fixed(1, ([v]) => Array.isArray(v)),
  is_empty: fixed(1, ([v]) => isEmpty(v)),
  // The first argument that is neither undefined nor null; null when there is none.
  coalesce: ranged(1, 255, (args) => {
    const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
    return values.find((v) => !isNullVar(v)) ?? null;
  }),
  // As coalesce(), also skipping empty strings.
  coalesce_ne: ranged(1, 255, (args) => {
    const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
    return values.find((v) => !isNullVar(v) && textOf(v) !== '') ?? null;
  }),
  int2hexstr: fixed(1, ([v]) => {
    const n = int(v);
    if (n < 0) throw bad('a non-negative integer', v);
    return n.toString(16).toUpperCase();
  }),
};
