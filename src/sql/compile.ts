import { Buffer } from 'node:buffer';
import { topicMatches } from '../topic/index.js';
import type { Expr, Step } from './ast.js';
import { SqlEvalError, SqlSyntaxError } from './errors.js';
import { FUNCTIONS } from './functions/index.js';
import { type Evaluator, NOT_DECODED, type Scope } from './scope.js';
import {
  arithmetic,
  decodeJson,
  deepEquals,
  order,
  own,
  plus,
  rangeOf,
  sqlEquals,
  stepInto,
  textOf,
} from './values.js';

/** Evaluators whose value does not depend on the input: calls over them are folded. */
const CONSTANTS = new WeakSet<Evaluator>();
const NO_SCOPE = undefined as unknown as Scope;

function constant(value: unknown): Evaluator {
  const evaluator = () => value;
  CONSTANTS.add(evaluator);
  return evaluator;
}

/**
 * Turns an expression into a closure, once, when the rule is created: evaluating a message
 * runs the closures and never walks the tree again. `text` is the rule's SQL, for errors.
 */
export function compileExpr(expr: Expr, text: string): Evaluator {
  switch (expr.kind) {
    case 'literal':
      return constant(expr.value);
    case 'var':
      return compileVar(expr.name);
    case 'path':
      return compilePath(expr.base, expr.steps, text);
    case 'binary':
      return compileBinary(expr.op, compileExpr(expr.left, text), compileExpr(expr.right, text));
    case 'not': {
      const operand = compileExpr(expr.operand, text);
      // As EMQX: NOT of anything but a boolean is false.
      return (s) => operand(s) === false;
    }
    case 'negate': {
      const operand = compileExpr(expr.operand, text);
      return (s) => arithmetic('-', 0, operand(s));
    }
    case 'in': {
      const value = compileExpr(expr.value, text);
      const list = expr.list.map((item) => compileExpr(item, text));
      const negated = expr.negated;
      return (s) => {
        const v = value(s);
        for (const item of list) if (deepEquals(v, item(s))) return !negated;
        return negated;
      };
    }
    case 'list': {
      const items = expr.items.map((item) => compileExpr(item, text));
      if (items.every((item) => CONSTANTS.has(item))) {
        const values = items.map((item) => item(NO_SCOPE));
        // A fresh copy each time (the list may end up in an output); nested lists are rebuilt.
        if (values.every((v) => typeof v !== 'object' || v === null)) return () => values.slice();
      }
      return (s) => items.map((item) => item(s));
    }
    case 'call':
      return compileCall(expr.name, expr.args, expr.offset, text);
    case 'case':
      return compileCase(expr, text);
  }
}

function compileVar(name: string): Evaluator {
  return (s) => {
    if (s.locals !== undefined) {
      const v = own(s.locals, name);
      if (v !== undefined) return v;
    }
    let v = own(s.selected, name);
    if (v !== undefined) return v;
    if (s.outer !== undefined) {
      v = own(s.outer, name);
      if (v !== undefined) return v;
    }
    return own(s.input, name);
  };
}

type CompiledStep = (value: unknown, s: Scope) => unknown;

function compileStep(step: Step, text: string): CompiledStep {
  switch (step.kind) {
    case 'key': {
      const key = step.key;
      return (v) => stepInto(v, key);
    }
    case 'index': {
      const index = compileExpr(step.index, text);
      return (v, s) => {
        const i = index(s);
        return typeof i === 'number' || typeof i === 'string' ? stepInto(v, i) : undefined;
      };
    }
    case 'range': {
      const from = compileExpr(step.from, text);
      const to = compileExpr(step.to, text);
      return (v, s) => {
        if (typeof v === 'string' || Buffer.isBuffer(v)) v = decodeJson(v);
        const a = from(s);
        const b = to(s);
        if (!Array.isArray(v) || typeof a !== 'number' || typeof b !== 'number') return undefined;
        return rangeOf(v, a, b);
      };
    }
  }
}

/**
 * `root.a[1].b`. A path from a name is tried in each binding that has the name; the input's
 * `payload` is decoded once per evaluation however many paths read it.
 */
function compilePath(base: Expr, stepList: readonly Step[], text: string): Evaluator {
  const steps = stepList.map((step) => compileStep(step, text));
  const walk = (value: unknown, s: Scope) => {
    for (let i = 0; i < steps.length && value !== undefined; i++) value = steps[i]!(value, s);
    return value;
  };
  if (base.kind !== 'var') {
    const from = compileExpr(base, text);
    return (s) => walk(from(s), s);
  }
  const name = base.name;
  const within = (binding: Readonly<Record<string, unknown>> | undefined, s: Scope) => {
    const root = binding === undefined ? undefined : own(binding, name);
    return root === undefined ? undefined : walk(root, s);
  };
  return (s) => {
    // `!== undefined`, not `??`: a JSON null found in an inner binding is the answer.
    let value = within(s.locals, s);
    if (value === undefined) value = within(s.selected, s);
    if (value === undefined) value = within(s.outer, s);
    if (value !== undefined) return value;
    return walk(name === 'payload' ? decodedPayload(s) : own(s.input, name), s);
  };
}

function decodedPayload(s: Scope): unknown {
  if (s.payload === NOT_DECODED) {
    const raw = own(s.input, 'payload');
    s.payload = typeof raw === 'string' || Buffer.isBuffer(raw) ? decodeJson(raw) : raw;
  }
  return s.payload;
}

function compileBinary(op: string, left: Evaluator, right: Evaluator): Evaluator {
  switch (op) {
    // AND and OR hold only for `true`, as EMQX's conditions: a missing field is not true.
    case 'and':
      return (s) => left(s) === true && right(s) === true;
    case 'or':
      return (s) => left(s) === true || right(s) === true;
    case '=':
      return (s) => sqlEquals(left(s), right(s));
    case '!=':
      return (s) => !sqlEquals(left(s), right(s));
    case '<':
      return (s) => (order(left(s), right(s)) ?? 0) < 0;
    case '<=':
      return (s) => (order(left(s), right(s)) ?? 1) <= 0;
    case '>':
      return (s) => (order(left(s), right(s)) ?? 0) > 0;
    case '>=':
      return (s) => (order(left(s), right(s)) ?? -1) >= 0;
    case '=~':
      return (s) => {
        const topic = textOf(left(s));
        const filter = textOf(right(s));
        return topic !== undefined && filter !== undefined && topicMatches(filter, topic);
      };
    case '+':
      return (s) => plus(left(s), right(s));
    default:
      return (s) => arithmetic(op, left(s), right(s));
  }
}

function compileCall(name: string, argExprs: readonly Expr[], offset: number, text: string) {
  const fn = FUNCTIONS.get(name.toLowerCase());
  if (fn === undefined) throw new SqlSyntaxError(text, offset, 'a known function', name);
  if (argExprs.length < fn.min || argExprs.length > fn.max) {
    const count = fn.min === fn.max ? `${fn.min}` : `${fn.min} to ${fn.max}`;
    const expected = `${count} argument${fn.max === 1 ? '' : 's'} to ${name.toLowerCase()}()`;
    const found = `${argExprs.length} argument${argExprs.length === 1 ? '' : 's'}`;
    throw new SqlSyntaxError(text, offset, expected, found, false);
  }
  const args = argExprs.map((arg) => compileExpr(arg, text));
  const label = `${name.toLowerCase()}()`;
  const call = (values: unknown[], s: Scope) => {
    try {
      return fn.call(values, s);
    } catch (error) {
      throw new SqlEvalError(`${label}: ${(error as Error).message}`);
    }
  };
  if (!fn.impure && args.every((arg) => CONSTANTS.has(arg))) {
    // Constant arguments: computed once here, unless that fails (then it fails per message).
    try {
      const value = call(
        args.map((arg) => arg(NO_SCOPE)),
        NO_SCOPE,
      );
      if (typeof value !== 'object' || value === null) return constant(value);
    } catch {}
  }
  return (s: Scope) => {
    const values = new Array<unknown>(args.length);
    for (let i = 0; i < args.length; i++) values[i] = args[i]!(s);
    return call(values, s);
  };
}

function compileCase(expr: Extract<Expr, { kind: 'case' }>, text: string): Evaluator {
  const subject = expr.subject ? compileExpr(expr.subject, text) : undefined;
  const whens = expr.whens.map(({ when, result }) => ({
    when: compileExpr(when, text),
    result: compileExpr(result, text),
  }));
  const otherwise = expr.otherwise ? compileExpr(expr.otherwise, text) : () => undefined;
  if (subject === undefined) {
    return (s) => {
      for (const clause of whens) if (clause.when(s) === true) return clause.result(s);
      return otherwise(s);
    };
  }
  return (s) => {
    const value = subject(s);
    for (const clause of whens) if (sqlEquals(value, clause.when(s))) return clause.result(s);
    return otherwise(s);
  };
}
