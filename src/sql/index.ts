// The rule SQL layer: EMQX's rule SQL dialect (lexer, parser, closures, built-in functions)
// and `${...}` templates. No I/O: the rule engine (src/rules) feeds it inputs.
export type { Expr, Field, Statement } from './ast.js';
export { SqlEvalError, SqlSyntaxError } from './errors.js';
export { FUNCTIONS } from './functions/index.js';
export { EVENTS, parseStatement } from './parser.js';
export { type CompiledRule, compileRule, MAX_FOREACH, type RuleInput } from './rule.js';
export {
  compileSqlTemplate,
  compileTemplate,
  NO_KEY,
  renderValue,
  type Template,
} from './template.js';
export { str, toJson } from './values.js';
