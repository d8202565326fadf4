import type { Expr, Field, Statement } from './ast.js';
import { compileExpr } from './compile.js';
import { SqlEvalError } from './errors.js';
import { parseStatement } from './parser.js';
import { readsOf } from './reads.js';
import { type Evaluator, newScope, type Scope } from './scope.js';
import { isObject, own, putPath, type Row, setOwn } from './values.js';

/** A rule compiled once from its SQL; `evaluate` runs per message. */
export interface CompiledRule {
  readonly sql: string;
  /** The FROM entries, as written, unquoted: topic filters, '$events/...', '$bridges/mqtt:name'. */
  readonly sources: readonly string[];
  /**
   * The input fields evaluate may read; undefined when it may read all (`SELECT *`). An input
   * may leave out every other field: the outputs are the same.
   */
  readonly reads: ReadonlySet<string> | undefined;
  /**
   * Runs the rule on one input. [] when WHERE is false (or FOREACH yields nothing); several
   * outputs for FOREACH. Throws SqlEvalError when evaluation fails. Never mutates input.
   */
  evaluate(input: RuleInput): Record<string, unknown>[];
}

/**
 * Input fields as EMQX names them: id, clientid, username, payload (string | Buffer: raw
 * bytes; `payload.x` parses it as JSON lazily, once per evaluation), peerhost, topic, qos,
 * flags {retain, dup}, pub_props, timestamp, publish_received_at, node, event, and the event
 * fields.
 */
export type RuleInput = Readonly<Record<string, unknown>>;

/** Applies one SELECT/DO field to `scope.selected`. */
type FieldStep = (scope: Scope) => void;

export function compileRule(sql: string): CompiledRule {
  const statement = parseStatement(sql);
  const run =
    statement.kind === 'select' ? compileSelect(statement, sql) : compileForeach(statement, sql);
  return {
    sql,
    sources: statement.sources,
    reads: readsOf(statement),
    evaluate(input: RuleInput) {
      try {
        return run(input);
      } catch (error) {
        if (error instanceof SqlEvalError) throw error;
        throw new SqlEvalError((error as Error).message ?? String(error));
      }
    },
  };
}

/** The output key of an unaliased field: a name, a path of keys (nested output), or its text. */
function keysOf(expr: Expr, text: string): string[] {
  if (expr.kind === 'var') return [expr.name];
  if (expr.kind === 'path' && expr.base.kind === 'var') {
    const keys = [expr.base.name];
    for (const step of expr.steps) {
      if (step.kind !== 'key') return [text];
      keys.push(step.key);
    }
    return keys;
  }
  return [text];
}

/**
 * `selectedBefore`: the output keys earlier fields may have put, when nothing else binds names
 * (no FOREACH element, no outer fields); undefined when unknown or any (after `*`, in DO).
 */
function compileField(
  field: Extract<Field, { kind: 'expr' }>,
  sql: string,
  selectedBefore: ReadonlySet<string> | undefined,
): FieldStep {
  const value = fromInput(field.expr, selectedBefore) ?? compileExpr(field.expr, sql);
  const keys = outputKeys(field);
  // A missing value is not put, as in EMQX: the output has no such key.
  if (keys.length === 1) {
    const key = keys[0]!;
    if (key !== '__proto__')
      return (s) => {
        const v = value(s);
        if (v !== undefined) s.selected[key] = v;
      };
    return (s) => {
      const v = value(s);
      if (v !== undefined) setOwn(s.selected, key, v);
    };
  }
  return (s) => {
    const v = value(s);
    if (v !== undefined) putPath(s.selected, keys, v);
  };
}

const outputKeys = (field: Extract<Field, { kind: 'expr' }>) =>
  field.alias ?? keysOf(field.expr, field.text);

/** `*`: every input field. */
const selectAll: FieldStep = (s) => {
  for (const key of Object.keys(s.input)) setOwn(s.selected, key, s.input[key]);
};

/**
 * A bare name that no earlier field put, where nothing else binds names: it can only be the
 * input's (one lookup, not one per binding as compileExpr's names do).
 */
function fromInput(expr: Expr, selectedBefore: ReadonlySet<string> | undefined) {
  if (expr.kind !== 'var' || selectedBefore === undefined || selectedBefore.has(expr.name))
    return undefined;
  const name = expr.name;
  return (s: Scope) => own(s.input, name);
}

/** `fresh`: the fields run on a new scope with no other bindings (SELECT, FOREACH), not DO. */
function compileFields(fields: readonly Field[], sql: string, fresh: boolean): FieldStep {
  let before: Set<string> | undefined = fresh ? new Set() : undefined;
  const steps = fields.map((field): FieldStep => {
    if (field.kind === 'all') {
      before = undefined;
      return selectAll;
    }
    const step = compileField(field, sql, before);
    before?.add(outputKeys(field)[0]!);
    return step;
  });
  return (s) => {
    for (let i = 0; i < steps.length; i++) steps[i]!(s);
  };
}

const condition = (expr: Expr | undefined, sql: string): Evaluator | undefined =>
  expr === undefined ? undefined : compileExpr(expr, sql);

function compileSelect(statement: Statement, sql: string) {
  const select = compileFields(statement.fields, sql, true);
  const where = condition(statement.where, sql);
  return (input: Row): Record<string, unknown>[] => {
    const scope = newScope(input);
    select(scope);
    if (where !== undefined && where(scope) !== true) return [];
    return [scope.selected];
  };
}

/** The outputs one message may give through FOREACH: each runs the rule's actions. */
export const MAX_FOREACH = 1000;

/**
 * FOREACH: the fields before the last are selected as in SELECT; the last is the collection.
 * Each element that passes INCASE gives one output: the DO fields, or without DO the element
 * itself (an element that is not a map comes out as `{item: element}`).
 */
function compileForeach(statement: Statement, sql: string) {
  const fields = statement.fields;
  const collection = fields[fields.length - 1] as Extract<Field, { kind: 'expr' }>;
  const select = compileFields(fields.slice(0, -1), sql, true);
  const collect = compileExpr(collection.expr, sql);
  const collectionKeys = outputKeys(collection);
  const itemKey = collection.alias?.join('.') ?? 'item';
  const where = condition(statement.where, sql);
  const incase = condition(statement.incase, sql);
  const doFields =
    statement.doFields.length > 0 ? compileFields(statement.doFields, sql, false) : undefined;
  return (input: Row): Record<string, unknown>[] => {
    const scope = newScope(input);
    select(scope);
    const items = collect(scope);
    if (items !== undefined) putPath(scope.selected, collectionKeys, items);
    if (where !== undefined && where(scope) !== true) return [];
    if (!Array.isArray(items)) return [];
    if (items.length > MAX_FOREACH) {
      throw new SqlEvalError(`FOREACH over ${items.length} elements (at most ${MAX_FOREACH})`);
    }
    const selected = scope.selected;
    const outputs: Record<string, unknown>[] = [];
    for (const item of items) {
      scope.locals = { [itemKey]: item };
      scope.selected = selected;
      scope.outer = undefined;
      if (incase !== undefined && incase(scope) !== true) continue;
      if (doFields === undefined) {
        outputs.push(isObject(item) ? { ...item } : { [itemKey]: item });
        continue;
      }
      scope.selected = {};
      scope.outer = selected;
      doFields(scope);
      outputs.push(scope.selected);
    }
    return outputs;
  };
}
