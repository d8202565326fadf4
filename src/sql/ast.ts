/** The syntax tree of one rule statement, as the parser builds it and compile.ts reads it. */

export type BinaryOperator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '=~'
  | '+'
  | '-'
  | '*'
  | '/'
  | 'div'
  | 'mod'
  | 'and'
  | 'or';

/** One step of a path: `.key`, `.'quoted key'`, `[index]` (1-based) or `[from..to]`. */
export type Step =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: Expr }
  | { readonly kind: 'range'; readonly from: Expr; readonly to: Expr };

export type Expr =
  | { readonly kind: 'literal'; readonly value: unknown; readonly offset: number }
  | { readonly kind: 'var'; readonly name: string; readonly offset: number }
  | {
      readonly kind: 'path';
      readonly base: Expr;
      readonly steps: readonly Step[];
      readonly offset: number;
    }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: Expr;
      readonly right: Expr;
      readonly offset: number;
    }
  | { readonly kind: 'not'; readonly operand: Expr; readonly offset: number }
  | { readonly kind: 'negate'; readonly operand: Expr; readonly offset: number }
  | {
      readonly kind: 'in';
      readonly value: Expr;
      readonly list: readonly Expr[];
      readonly negated: boolean;
      readonly offset: number;
    }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly offset: number }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
      readonly offset: number;
    }
  | {
      readonly kind: 'case';
      /** `CASE subject WHEN value ...` compares; without a subject each WHEN is a condition. */
      readonly subject: Expr | undefined;
      readonly whens: readonly { readonly when: Expr; readonly result: Expr }[];
      readonly otherwise: Expr | undefined;
      readonly offset: number;
    };

/** One entry of a SELECT, FOREACH or DO list. */
export type Field =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'expr';
      readonly expr: Expr;
      /** `AS a.b` as its keys; undefined without AS. */
      readonly alias: readonly string[] | undefined;
      /** The expression as written, the output key of an unaliased non-path expression. */
      readonly text: string;
    };

export interface Statement {
  readonly kind: 'select' | 'foreach';
  /** SELECT's fields, or FOREACH's (the last one is the collection). */
  readonly fields: readonly Field[];
  readonly doFields: readonly Field[];
  readonly incase: Expr | undefined;
  readonly sources: readonly string[];
  readonly where: Expr | undefined;
}
