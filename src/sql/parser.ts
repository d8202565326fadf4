import type { BinaryOperator, Expr, Field, Statement, Step } from './ast.js';
import { SqlSyntaxError } from './errors.js';
import { type Token, tokenize } from './lexer.js';
import { validateTopicFilter } from '../topic/index.js';

/**
 * Recursive-descent parser of EMQX's rule SQL:
 *
 *   SELECT fields FROM "src", ... [WHERE expr]
 *   FOREACH fields [DO fields] [INCASE expr] FROM "src", ... [WHERE expr]
 *
 * Precedence, loosest first: OR, AND, NOT, comparison (one, not chained) and [NOT] IN,
 * + -, * / div mod, unary minus, paths (.key [i] [a..b]).
 */
export function parseStatement(text: string): Statement {
  return new Parser(text).statement();
}

/** The events a rule may select from, as `"$events/<name>"` (EMQX's names). */
export const EVENTS: readonly string[] = [
  'client_connected',
  'client_disconnected',
  'client_connack',
  'client_check_authn_complete',
  'client_check_authz_complete',
  'session_subscribed',
  'session_unsubscribed',
  'message_delivered',
  'message_acked',
  'message_dropped',
  'delivery_dropped',
];

/** What a FROM entry should have been, or undefined when it is a valid source. */
function sourceProblem(source: string): string | undefined {
  if (source.startsWith('$events/')) {
    return EVENTS.includes(source.slice(8)) ? undefined : `one of the events ${EVENTS.join(', ')}`;
  }
  if (source.startsWith('$bridges/')) {
    return /^\$bridges\/mqtt:[^/#+]+$/.test(source)
      ? undefined
      : '"$bridges/mqtt:<connector name>"';
  }
  return validateTopicFilter(source) === undefined ? undefined : 'a valid topic filter';
}

const COMPARISONS = new Set(['=', '!=', '<>', '<', '<=', '>', '>=', '=~']);
/** Words that end an expression list or clause, so they cannot start an expression. */
const CLAUSE_WORDS = new Set(['from', 'where', 'do', 'incase']);

class Parser {
  private readonly tokens: Token[];
  private position = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  statement(): Statement {
    const kind = this.keyword('select') ? 'select' : this.keyword('foreach') ? 'foreach' : '';
    if (!kind) this.fail('SELECT or FOREACH');
    this.position++;
    const fields = this.fields(kind === 'select');
    const last = fields[fields.length - 1];
    if (kind === 'foreach' && last?.kind !== 'expr') this.fail('an expression');
    const doFields = kind === 'foreach' && this.accept('do') ? this.fields(true) : [];
    const incase = kind === 'foreach' && this.accept('incase') ? this.expr() : undefined;
    this.expect('from', 'FROM');
    const sources = this.sources();
    const where = this.accept('where') ? this.expr() : undefined;
    if (this.peek().kind !== 'eof') this.fail(where ? 'end of input' : 'WHERE or end of input');
    return { kind, fields, doFields, incase, sources, where };
  }

  private fields(allowStar: boolean): Field[] {
    const fields: Field[] = [];
    do {
      if (allowStar && this.peekOp('*')) {
        this.position++;
        fields.push({ kind: 'all' });
        continue;
      }
      const start = this.peek().offset;
      const expr = this.expr();
      const text = this.text.slice(start, this.tokens[this.position - 1]!.end);
      const alias = this.accept('as') ? this.alias() : undefined;
      fields.push({ kind: 'expr', expr, alias, text });
    } while (this.acceptOp(','));
    return fields;
  }

  /** `AS name`, `AS a.b.c` (nested output) or `AS 'any text'`. */
  private alias(): string[] {
    const token = this.peek();
    if (token.kind === 'string' || token.kind === 'dstring') {
      this.position++;
      return [token.text];
    }
    const keys = [this.name('an alias')];
    while (this.acceptOp('.')) keys.push(this.name('a key'));
    return keys;
  }

  private sources(): string[] {
    const sources: string[] = [];
    do {
      const token = this.peek();
      if (token.kind !== 'dstring') this.fail('a topic filter or event in double quotes');
      const problem = sourceProblem(token.text);
      if (problem !== undefined) this.fail(problem);
      this.position++;
      sources.push(token.text);
    } while (this.acceptOp(','));
    return sources;
  }

  expr(): Expr {
    return this.logical('or', () => this.logical('and', () => this.not()));
  }

  /** `operand (word operand)*`, left-associative, for AND and OR. */
  private logical(word: 'and' | 'or', operand: () => Expr): Expr {
    let left = operand();
    while (this.keyword(word)) {
      const offset = this.next().offset;
      left = { kind: 'binary', op: word, left, right: operand(), offset };
    }
    return left;
  }

  private not(): Expr {
    if (this.keyword('not')) {
      const offset = this.next().offset;
      return { kind: 'not', operand: this.not(), offset };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const token = this.peek();
    if (token.kind === 'op' && COMPARISONS.has(token.text)) {
      this.position++;
      const op = (token.text === '<>' ? '!=' : token.text) as BinaryOperator;
      const right = this.additive();
      const after = this.peek();
      if (after.kind === 'op' && COMPARISONS.has(after.text)) {
        this.fail('AND or OR between comparisons (they do not chain)');
      }
      return { kind: 'binary', op, left, right, offset: token.offset };
    }
    const negated = this.keyword('not') && this.isKeyword(this.tokens[this.position + 1], 'in');
    if (negated) this.position++;
    if (this.accept('in')) {
      this.expectOp('(');
      const list = this.expressions(')');
      return { kind: 'in', value: left, list, negated, offset: token.offset };
    }
    if (negated) this.fail('IN');
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || (token.text !== '+' && token.text !== '-')) return left;
      this.position++;
      const op = token.text as BinaryOperator;
      left = { kind: 'binary', op, left, right: this.multiplicative(), offset: token.offset };
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      let op: BinaryOperator | undefined;
      if (token.kind === 'op' && (token.text === '*' || token.text === '/')) op = token.text;
      else if (this.isKeyword(token, 'div')) op = 'div';
      else if (this.isKeyword(token, 'mod')) op = 'mod';
      if (!op) return left;
      this.position++;
      left = { kind: 'binary', op, left, right: this.unary(), offset: token.offset };
    }
  }

  private unary(): Expr {
    const token = this.peek();
    if (token.kind === 'op' && token.text === '-') {
      this.position++;
      const operand = this.unary();
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'literal', value: -operand.value, offset: token.offset };
      }
      return { kind: 'negate', operand, offset: token.offset };
    }
    if (token.kind === 'op' && token.text === '+') {
      this.position++;
      return this.unary();
    }
    return this.postfix(this.primary());
  }

  private postfix(base: Expr): Expr {
    const steps: Step[] = [];
    for (;;) {
      if (this.acceptOp('.')) {
        steps.push({ kind: 'key', key: this.key() });
      } else if (this.peekOp('[')) {
        steps.push(this.bracket());
      } else break;
    }
    return steps.length === 0 ? base : { kind: 'path', base, steps, offset: base.offset };
  }

  /** A key after a dot: a name (keywords included), a quoted key, or digits. */
  private key(): string {
    const token = this.peek();
    if (token.kind === 'ident' || token.kind === 'string' || token.kind === 'dstring') {
      this.position++;
      return token.text;
    }
    if (token.kind === 'number' && /^\d+$/.test(token.text)) {
      this.position++;
      return token.text;
    }
    return this.fail('a key');
  }

  private bracket(): Step {
    this.expectOp('[');
    const from = this.expr();
    if (this.acceptOp('..')) {
      const to = this.expr();
      this.expectOp(']');
      return { kind: 'range', from, to };
    }
    this.expectOp(']');
    return { kind: 'index', index: from };
  }

  private primary(): Expr {
    const token = this.peek();
    const offset = token.offset;
    switch (token.kind) {
      case 'number':
        this.position++;
        return { kind: 'literal', value: Number(token.text), offset };
      case 'string':
      case 'dstring':
        this.position++;
        return { kind: 'literal', value: token.text, offset };
      case 'op':
        if (token.text === '(') {
          this.position++;
          const inner = this.expr();
          this.expectOp(')');
          return inner;
        }
        if (token.text === '[') return this.list();
        return this.fail('an expression');
      case 'ident':
        return this.word(token);
      default:
        return this.fail('an expression');
    }
  }

  /** `[a, b]` or the range `[1..3]`. */
  private list(): Expr {
    const offset = this.next().offset;
    if (this.acceptOp(']')) return { kind: 'list', items: [], offset };
    const first = this.expr();
    if (this.acceptOp('..')) {
      const to = this.expr();
      this.expectOp(']');
      return { kind: 'call', name: '$range', args: [first, to], offset };
    }
    const items = [first];
    while (this.acceptOp(',')) items.push(this.expr());
    this.expectOp(']');
    return { kind: 'list', items, offset };
  }

  private word(token: Token): Expr {
    const lower = token.text.toLowerCase();
    const offset = token.offset;
    if (CLAUSE_WORDS.has(lower) || lower === 'select' || lower === 'foreach') {
      return this.fail('an expression');
    }
    this.position++;
    if (lower === 'true' || lower === 'false') {
      return { kind: 'literal', value: lower === 'true', offset };
    }
    if (lower === 'null') return { kind: 'literal', value: null, offset };
    if (lower === 'case') return this.caseExpr(offset);
    if (this.acceptOp('(')) {
      return { kind: 'call', name: token.text, args: this.expressions(')'), offset };
    }
    return { kind: 'var', name: token.text, offset };
  }

  private caseExpr(offset: number): Expr {
    const subject = this.keyword('when') ? undefined : this.expr();
    const whens: { when: Expr; result: Expr }[] = [];
    while (this.accept('when')) {
      const when = this.expr();
      this.expect('then', 'THEN');
      whens.push({ when, result: this.expr() });
    }
    if (whens.length === 0) this.fail('WHEN');
    const otherwise = this.accept('else') ? this.expr() : undefined;
    this.expect('end', whens.length > 0 && !otherwise ? 'WHEN, ELSE or END' : 'END');
    return { kind: 'case', subject, whens, otherwise, offset };
  }

  /** Comma-separated expressions up to `close` (which may come at once: `f()`). */
  private expressions(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.acceptOp(close)) return items;
    do items.push(this.expr());
    while (this.acceptOp(','));
    this.expectOp(close);
    return items;
  }

  private name(what: string): string {
    const token = this.peek();
    if (token.kind !== 'ident' || CLAUSE_WORDS.has(token.text.toLowerCase())) this.fail(what);
    this.position++;
    return token.text;
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private next(): Token {
    return this.tokens[this.position++]!;
  }

  private isKeyword(token: Token | undefined, word: string): boolean {
    return token?.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private keyword(word: string): boolean {
    return this.isKeyword(this.peek(), word);
  }

  private accept(word: string): boolean {
    if (!this.keyword(word)) return false;
    this.position++;
    return true;
  }

  private expect(word: string, shown: string): void {
    if (!this.accept(word)) this.fail(shown);
  }

  private peekOp(op: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.text === op;
  }

  private acceptOp(op: string): boolean {
    if (!this.peekOp(op)) return false;
    this.position++;
    return true;
  }

  private expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail(`'${op}'`);
  }

  private fail(expected: string): never {
    const token = this.peek();
    const found = token.kind === 'eof' ? undefined : this.text.slice(token.offset, token.end);
    throw new SqlSyntaxError(this.text, token.offset, expected, found);
  }
}
