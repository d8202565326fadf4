/**
 * The two errors of the rule SQL layer. A rule that does not parse is refused when it is
 * created (SqlSyntaxError, with its position); a rule that parses but fails on one input
 * counts as `failed.exception` for that input only (SqlEvalError).
 */

/** 1-based line and column of `offset` in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export class SqlSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  /**
   * `found` is the offending text as written (quoted in the message unless `quote` is false),
   * or undefined at the end of the input.
   */
  constructor(
    text: string,
    readonly offset: number,
    readonly expected: string,
    found: string | undefined,
    quote = true,
  ) {
    const { line, column } = positionOf(text, offset);
    const what = found === undefined ? 'end of input' : quote ? `'${found}'` : found;
    super(`line ${line}, column ${column}: expected ${expected}, found ${what}`);
    this.name = 'SqlSyntaxError';
    this.line = line;
    this.column = column;
  }
}

export class SqlEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlEvalError';
  }
}
