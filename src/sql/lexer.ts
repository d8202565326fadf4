import { SqlSyntaxError } from './errors.js';

/**
 * Tokens of EMQX's rule SQL. Keywords are plain identifiers here (the parser compares them
 * case-insensitively), so that a field may be named like a keyword after a dot
 * (`payload.from`).
 */
export type TokenKind =
  | 'ident'
  | 'number'
  | 'string' // 'single-quoted'
  | 'dstring' // "double-quoted": a topic in FROM, a string elsewhere
  | 'op'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The value: identifier name, unquoted string, operator text, number source. */
  readonly text: string;
  readonly offset: number;
  /** Where the token ends in the source (for quoting it in errors and expression text). */
  readonly end: number;
}

/** Operators, longest first so that `<=` wins over `<`. */
const OPERATORS = ['..', '<>', '<=', '>=', '!=', '=~', '(', ')', ',', '.', '[', ']', '*', '+'];
const SINGLE = new Set(['-', '/', '=', '<', '>']);

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else if (isIdentStart(c)) {
      const start = i;
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), offset: start, end: i });
    } else if (isDigit(c)) {
      i = readNumber(text, i, tokens);
    } else if (c === 39 || c === 34) {
      i = readString(text, i, tokens);
    } else {
      i = readOperator(text, i, tokens);
    }
  }
  tokens.push({ kind: 'eof', text: '', offset: text.length, end: text.length });
  return tokens;
}

function readNumber(text: string, start: number, tokens: Token[]): number {
  let i = start;
  while (isDigit(text.charCodeAt(i))) i++;
  // A '.' belongs to the number only when a digit follows: `1..3` is a range.
  if (text.charCodeAt(i) === 46 && isDigit(text.charCodeAt(i + 1))) {
    i++;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    let j = i + 1;
    if (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45) j++;
    if (isDigit(text.charCodeAt(j))) {
      i = j;
      while (isDigit(text.charCodeAt(i))) i++;
    }
  }
  if (isIdentStart(text.charCodeAt(i))) {
    throw new SqlSyntaxError(text, i, 'a number', text.slice(start, i + 1));
  }
  tokens.push({ kind: 'number', text: text.slice(start, i), offset: start, end: i });
  return i;
}

/**
 * A quoted string. A backslash escapes only the quote itself (and a backslash before it):
 * every other backslash stays, so regular expressions like '^\d+$' read as written, as in
 * EMQX (which offers unescape() for \n and the like).
 */
function readString(text: string, start: number, tokens: Token[]): number {
  const quote = text.charCodeAt(start);
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) {
      const closing = String.fromCharCode(quote);
      throw new SqlSyntaxError(text, start, `${closing} to close the string`, undefined);
    }
    const c = text.charCodeAt(i);
    if (c === quote) break;
    if (c === 92 && text.charCodeAt(i + 1) === quote) {
      value += String.fromCharCode(quote);
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  const kind = quote === 39 ? 'string' : 'dstring';
  tokens.push({ kind, text: value, offset: start, end: i + 1 });
  return i + 1;
}

function readOperator(text: string, i: number, tokens: Token[]): number {
  for (const op of OPERATORS) {
    if (text.startsWith(op, i)) {
      tokens.push({ kind: 'op', text: op, offset: i, end: i + op.length });
      return i + op.length;
    }
  }
  const ch = text[i]!;
  if (!SINGLE.has(ch)) throw new SqlSyntaxError(text, i, 'an expression', ch);
  tokens.push({ kind: 'op', text: ch, offset: i, end: i + 1 });
  return i + 1;
}
