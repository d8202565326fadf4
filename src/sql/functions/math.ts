import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { fixed, impure, num } from './args.js';

/** A one-argument Math function whose result must be a real number. */
const real = (f: (x: number) => number): SqlFunction =>
  fixed(1, ([x]) => {
    const result = f(num(x));
    if (!Number.isFinite(result)) throw new SqlEvalError(`no real result for ${x}`);
    return result;
  });

export const MATH: Record<string, SqlFunction> = {
  abs: real(Math.abs),
  ceil: real(Math.ceil),
  floor: real(Math.floor),
  round: real((x) => Math.sign(x) * Math.round(Math.abs(x))), // half away from zero, as Erlang
  sqrt: real(Math.sqrt),
  exp: real(Math.exp),
  log: real(Math.log),
  log10: real(Math.log10),
  log2: real(Math.log2),
  sin: real(Math.sin),
  cos: real(Math.cos),
  tan: real(Math.tan),
  asin: real(Math.asin),
  acos: real(Math.acos),
  atan: real(Math.atan),
  sinh: real(Math.sinh),
  cosh: real(Math.cosh),
  tanh: real(Math.tanh),
  asinh: real(Math.asinh),
  acosh: real(Math.acosh),
  atanh: real(Math.atanh),
  power: fixed(2, ([x, y]) => {
    const result = num(x) ** num(y);
    if (!Number.isFinite(result)) throw new SqlEvalError(`no real result for ${x} ^ ${y}`);
    return result;
  }),
  fmod: fixed(2, ([x, y]) => {
    if (num(y) === 0) throw new SqlEvalError('division by zero');
    return num(x) % num(y);
  }),
  random: impure(0, 0, () => Math.random()),
};
