import type { Expr, Field, Statement } from './ast.js';
import { FUNCTIONS } from './functions/index.js';

/**
 * The input fields a statement may read, or undefined when it may read them all (`SELECT *`).
 * Every name the statement uses counts, even one that turns out to be an alias or a FOREACH
 * element: more than it reads is harmless, less would hide a field from the rule. A caller
 * may leave every other field out of the input.
 */
export function readsOf(statement: Statement): ReadonlySet<string> | undefined {
  const reads = new Set<string>();
  const fields = [...statement.fields, ...statement.doFields];
  for (const field of fields) if (!addField(field, reads)) return undefined;
  for (const expr of [statement.where, statement.incase]) if (expr) addExpr(expr, reads);
  return reads;
}

/** False for `*`, which reads every field. */
function addField(field: Field, reads: Set<string>): boolean {
  if (field.kind === 'all') return false;
  addExpr(field.expr, reads);
  return true;
}

function addExpr(expr: Expr, reads: Set<string>): void {
  if (expr.kind === 'var') reads.add(expr.name);
  // A function may read input fields of its own (topic() reads `topic`).
  else if (expr.kind === 'call')
    for (const name of FUNCTIONS.get(expr.name.toLowerCase())?.reads ?? []) reads.add(name);
  for (const child of childrenOf(expr)) addExpr(child, reads);
}

/** The expressions directly inside one. */
function childrenOf(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'var':
      return [];
    case 'path':
      return [
        expr.base,
        ...expr.steps.flatMap((step) =>
          step.kind === 'index' ? [step.index] : step.kind === 'range' ? [step.from, step.to] : [],
        ),
      ];
    case 'binary':
      return [expr.left, expr.right];
    case 'not':
    case 'negate':
      return [expr.operand];
    case 'in':
      return [expr.value, ...expr.list];
    case 'list':
      return expr.items;
    case 'call':
      return expr.args;
    case 'case':
      return [
        ...(expr.subject ? [expr.subject] : []),
        ...expr.whens.flatMap(({ when, result }) => [when, result]),
        ...(expr.otherwise ? [expr.otherwise] : []),
      ];
  }
}
