import type { Row } from './values.js';

/**
 * What one evaluation reads. Names resolve from the innermost binding out: the FOREACH
 * element, the fields selected so far, the FOREACH fields (in DO), then the input. A path
 * that comes out undefined in one binding is tried in the next, so `SELECT payload.a ...
 * WHERE payload.b = 1` still reads the message's payload (EMQX would find the selected
 * `payload` map and miss `b`).
 */
export interface Scope {
  readonly input: Row;
  /** The element of a FOREACH (`{item: element}` or `{alias: element}`). */
  locals: Record<string, unknown> | undefined;
  selected: Record<string, unknown>;
  /** In DO: what FOREACH selected. */
  outer: Record<string, unknown> | undefined;
  /** The input's payload decoded as JSON, once per evaluation; NOT_DECODED until asked. */
  payload: unknown;
}

export const NOT_DECODED: unique symbol = Symbol('not decoded');

export function newScope(input: Row): Scope {
  return { input, locals: undefined, selected: {}, outer: undefined, payload: NOT_DECODED };
}

export type Evaluator = (scope: Scope) => unknown;

/** A built-in function: its arity and implementation. */
export interface SqlFunction {
  readonly min: number;
  readonly max: number;
  /** Depends on more than its arguments (time, randomness, the input): never folded. */
  readonly impure?: boolean;
  /** Input fields it reads itself, beyond its arguments (topic() reads `topic`). */
  readonly reads?: readonly string[];
  readonly call: (args: unknown[], scope: Scope) => unknown;
}
