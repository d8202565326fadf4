import { Buffer } from 'node:buffer';
import { SqlSyntaxError } from './errors.js';
import { decodeJson, isObject, nthOf, own, type Row, str, toJson } from './values.js';

/**
 * `${path}` templates, as EMQX's: a path into a rule output (`${payload.temp}`,
 * `${items[1]}`, `${.}` for the whole output). Text inside a path is read as JSON when the
 * path goes further into it, so `${payload.x}` works on a raw JSON payload.
 */
export interface Template {
  render(data: Readonly<Record<string, unknown>>): string;
  /**
   * As bytes, for MQTT payloads: a template that is one placeholder whose value is bytes
   * (`${payload}` of a binary message) gives those bytes unchanged, not their UTF-8 reading.
   */
  renderBytes(data: Readonly<Record<string, unknown>>): Buffer;
  /** The paths the template reads, as written ('.' for the whole output). */
  readonly fields: readonly string[];
  /**
   * A value the render depends on alone, for callers that keep renders: undefined for a
   * template without placeholders (it always renders the same), the value of the one
   * placeholder, or NO_KEY for a template of several.
   */
  key(data: Readonly<Record<string, unknown>>): unknown;
}

/** Template.key of a template of several placeholders: no single value decides its render. */
export const NO_KEY: unique symbol = Symbol('no key');

type Getter = (data: Row) => unknown;

/** A path as keys and 1-based indexes: 'a.b[2].c' → ['a', 'b', 2, 'c']; '.' → []. */
function parsePath(path: string, text: string, offset: number): (string | number)[] {
  if (path === '.') return [];
  const steps: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(-?\d+)\]|(\.)/gy;
  let expectKey = true;
  let m: RegExpExecArray | null;
  for (let at = 0; at < path.length; at = pattern.lastIndex) {
    pattern.lastIndex = at;
    m = pattern.exec(path);
    if (m === null) throw new SqlSyntaxError(text, offset + at, 'a field path', path.slice(at));
    if (m[1] !== undefined) {
      if (!expectKey) throw new SqlSyntaxError(text, offset + at, "'.' or '['", m[1]);
      steps.push(m[1]);
      expectKey = false;
    } else if (m[2] !== undefined) {
      steps.push(Number(m[2]));
    } else {
      if (expectKey) throw new SqlSyntaxError(text, offset + at, 'a key', '.');
      expectKey = true;
    }
  }
  if (expectKey) throw new SqlSyntaxError(text, offset + path.length, 'a key', undefined);
  return steps;
}

function getter(steps: readonly (string | number)[]): Getter {
  const first = steps[0];
  // `${name}`, the most common: a field of the output (an object), nothing to decode.
  if (steps.length === 1 && typeof first === 'string') return (data) => own(data, first);
  return (data) => {
    let value: unknown = data;
    for (const step of steps) {
      if (typeof value === 'string' || Buffer.isBuffer(value)) value = decodeJson(value);
      if (typeof step === 'number') value = Array.isArray(value) ? nthOf(value, step) : undefined;
      else value = isObject(value) ? own(value, step) : undefined;
      if (value === undefined) return undefined;
    }
    return value;
  };
}

/** Text of a value in a template: undefined (and null) as '', maps and lists as JSON. */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return toJson(value);
  return str(value);
}

interface Parsed {
  readonly literals: string[]; // one more than placeholders
  readonly paths: string[];
  readonly getters: Getter[];
  /** Per placeholder: whether it was written between single quotes ('${x}'). */
  readonly quoted: boolean[];
}

function parseTemplate(text: string): Parsed {
  const parsed: Parsed = { literals: [], paths: [], getters: [], quoted: [] };
  let last = 0;
  for (let at = text.indexOf('${'); at >= 0; at = text.indexOf('${', last)) {
    const close = text.indexOf('}', at + 2);
    if (close < 0) throw new SqlSyntaxError(text, at, "'}' closing '${'", text.slice(at));
    const path = text.slice(at + 2, close).trim();
    if (path === '') throw new SqlSyntaxError(text, at + 2, 'a field path', '}');
    parsed.literals.push(text.slice(last, at));
    parsed.paths.push(path);
    parsed.getters.push(getter(parsePath(path, text, at + 2)));
    parsed.quoted.push(text[at - 1] === "'" && text[close + 1] === "'");
    last = close + 1;
  }
  parsed.literals.push(text.slice(last));
  return parsed;
}

/** Throws SqlSyntaxError for an unclosed `${` or a bad path. */
export function compileTemplate(text: string): Template {
  const { literals, paths, getters } = parseTemplate(text);
  const render = renderer(text, literals, getters);
  const only =
    getters.length === 1 && literals[0] === '' && literals[1] === '' ? getters[0] : undefined;
  const key: Template['key'] =
    getters.length === 0 ? () => undefined : getters.length === 1 ? getters[0]! : () => NO_KEY;
  return {
    fields: paths,
    key,
    render,
    renderBytes(data) {
      const value = only?.(data);
      return Buffer.isBuffer(value) ? value : Buffer.from(render(data));
    },
  };
}

function renderer(text: string, literals: readonly string[], getters: readonly Getter[]) {
  if (getters.length === 0) return () => text;
  if (getters.length === 1 && literals[0] === '' && literals[1] === '') {
    const only = getters[0]!;
    return (data: Row) => renderValue(only(data));
  }
  return (data: Row) => {
    let out = literals[0]!;
    for (let i = 0; i < getters.length; i++) {
      out += renderValue(getters[i]!(data)) + literals[i + 1];
    }
    return out;
  };
}

/** A parameter of a SQL statement: numbers, booleans, text and bytes as they are; missing as NULL. */
function sqlParam(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return toJson(value);
  return value;
}

/**
 * For SQL sinks: `INSERT INTO t(a,b) VALUES (${a}, ${payload.b})` becomes
 * `INSERT INTO t(a,b) VALUES ($1, $2)` with the values as parameters, never spliced into the
 * text. A placeholder in single quotes ('${a}', as older EMQX rules write it) loses the
 * quotes; the same path twice is one parameter.
 */
export function compileSqlTemplate(text: string): {
  text: string;
  params(data: Readonly<Record<string, unknown>>): unknown[];
} {
  const { literals, paths, getters, quoted } = parseTemplate(text);
  const numbers = new Map<string, number>();
  const readers: Getter[] = [];
  let out = literals[0]!;
  for (let i = 0; i < paths.length; i++) {
    let number = numbers.get(paths[i]!);
    if (number === undefined) {
      readers.push(getters[i]!);
      number = readers.length;
      numbers.set(paths[i]!, number);
    }
    if (quoted[i]) out = out.slice(0, -1);
    out += `$${number}${quoted[i] ? literals[i + 1]!.slice(1) : literals[i + 1]}`;
  }
  return { text: out, params: (data) => readers.map((read) => sqlParam(read(data))) };
}
