import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { str, toJson } from '../values.js';
import { checkSize, fixed, int, list, option, ranged, text } from './args.js';

/** Compiled patterns by source: a rule's patterns are usually constants, so this stays small. */
const PATTERNS = new Map<string, RegExp>();
const MAX_PATTERNS = 256;

function pattern(source: string, global = false): RegExp {
  const key = global ? `g:${source}` : source;
  let regex = PATTERNS.get(key);
  if (regex === undefined) {
    try {
      regex = new RegExp(source, global ? 'g' : '');
    } catch {
      throw new SqlEvalError(`invalid regular expression '${source}'`);
    }
    if (PATTERNS.size >= MAX_PATTERNS) PATTERNS.clear();
    PATTERNS.set(key, regex);
  }
  regex.lastIndex = 0;
  return regex;
}

const codePoints = (s: string) => Array.from(s);

/**
 * split(): all occurrences, or only the first ('leading') or last ('trailing'); empty parts
 * dropped unless the option ends in 'notrim'.
 */
function split(input: string, separator: string, how: string): string[] {
  if (separator === '') return [input];
  let parts: string[];
  if (how.startsWith('leading') || how.startsWith('trailing')) {
    const at = how.startsWith('leading') ? input.indexOf(separator) : input.lastIndexOf(separator);
    parts = at < 0 ? [input] : [input.slice(0, at), input.slice(at + separator.length)];
  } else {
    parts = input.split(separator);
  }
  return how.endsWith('notrim') ? parts : parts.filter((part) => part !== '');
}

/** Erlang io_lib:format directives EMQX's sprintf() passes through: ~s ~p ~w ~d ~f ~n ~~. */
function sprintf(format: string, args: readonly unknown[]): string {
  let next = 0;
  return format.replace(/~([spwdfn~])/g, (_, directive: string) => {
    if (directive === '~') return '~';
    if (directive === 'n') return '\n';
    if (next >= args.length) throw new SqlEvalError(`not enough arguments for '${format}'`);
    const arg = args[next++];
    if (directive === 'd') return String(int(arg));
    if (directive === 'f') return (arg as number).toFixed(6);
    if (directive === 's') return str(arg);
    return typeof arg === 'string' ? JSON.stringify(arg) : toJson(arg);
  });
}

function pad(input: string, length: number, how: string, fill: string): string {
  const missing = length - codePoints(input).length;
  if (missing <= 0) return input;
  checkSize(missing * fill.length);
  if (how === 'leading') return fill.repeat(missing) + input;
  if (how === 'both') {
    const left = Math.floor(missing / 2);
    return fill.repeat(left) + input + fill.repeat(missing - left);
  }
  return input + fill.repeat(missing);
}

function replace(input: string, search: string, by: string, how: string): string {
  if (search === '') return input;
  if (how === 'all') {
    checkSize(input.length + (input.split(search).length - 1) * by.length);
    return input.split(search).join(by);
  }
  const at = how === 'leading' ? input.indexOf(search) : input.lastIndexOf(search);
  return at < 0 ? input : input.slice(0, at) + by + input.slice(at + search.length);
}

/**
 * regex_replace(): every match, the replacement read as Erlang's re:replace reads it: `\N`
 * is group N, `&` the whole match, `\&` a literal '&'.
 */
function regexReplace(input: string, source: string, by: string): string {
  let built = 0;
  return input.replace(pattern(source, true), (match: string, ...rest: unknown[]) => {
    const groups = rest.slice(0, -2) as (string | undefined)[];
    const out = by.replace(/\\(\d|&)|&/g, (_token, escaped: string | undefined) => {
      if (escaped === '&') return '&';
      if (escaped !== undefined)
        return escaped === '0' ? match : (groups[Number(escaped) - 1] ?? '');
      return match;
    });
    built += out.length;
    checkSize(built);
    return out;
  });
}

/** unescape(): the C escapes \n \t \r \b \f \v \0 \\ \' \" \xHH \uHHHH. */
function unescapeText(input: string): string {
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    b: '\b',
    f: '\f',
    v: '\v',
    '0': '\0',
    '\\': '\\',
    "'": "'",
    '"': '"',
  };
  return input.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (all, code: string) => {
    if (code.length > 1) return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    const value = simple[code];
    if (value === undefined) throw new SqlEvalError(`unknown escape '${all}'`);
    return value;
  });
}

export const STRING: Record<string, SqlFunction> = {
  lower: fixed(1, ([s]) => text(s).toLowerCase()),
  upper: fixed(1, ([s]) => text(s).toUpperCase()),
  trim: fixed(1, ([s]) => text(s).trim()),
  ltrim: fixed(1, ([s]) => text(s).trimStart()),
  rtrim: fixed(1, ([s]) => text(s).trimEnd()),
  reverse: fixed(1, ([s]) => codePoints(text(s)).reverse().join('')),
  strlen: fixed(1, ([s]) => codePoints(text(s)).length),
  // substr and substring count from 0, as in EMQX (whose older docs say 1).
  substr: ranged(2, 3, ([s, start, length]) => {
    const chars = codePoints(text(s));
    const from = int(start);
    return chars.slice(from, length === undefined ? undefined : from + int(length)).join('');
  }),
  substring: ranged(2, 3, ([s, start, end]) => {
    const chars = codePoints(text(s));
    return chars.slice(int(start), end === undefined ? undefined : int(end)).join('');
  }),
  split: ranged(2, 3, ([s, separator, how]) => {
    const hows = ['all', 'notrim', 'leading', 'leading_notrim', 'trailing', 'trailing_notrim'];
    return split(text(s), text(separator), option(how, hows, 'all'));
  }),
  tokens: ranged(2, 3, ([s, separators, crlf]) => {
    let chars = text(separators);
    if (option(crlf, ['nocrlf'], 'nocrlf') && crlf !== undefined) chars += '\r\n';
    const set = new Set(codePoints(chars));
    const out: string[] = [];
    let current = '';
    for (const c of codePoints(text(s))) {
      if (!set.has(c)) current += c;
      else if (current !== '') {
        out.push(current);
        current = '';
      }
    }
    if (current !== '') out.push(current);
    return out;
  }),
  concat: ranged(2, 255, (args) => {
    const parts = args.length === 1 ? list(args[0]) : args;
    return parts.map(str).join('');
  }),
  sprintf: ranged(1, 255, ([format, ...args]) => sprintf(text(format), args)),
  pad: ranged(2, 4, ([s, length, how, fill]) =>
    pad(
      text(s),
      int(length),
      option(how, ['trailing', 'leading', 'both'], 'trailing'),
      fill === undefined ? ' ' : text(fill),
    ),
  ),
  replace: ranged(3, 4, ([s, search, by, how]) =>
    replace(text(s), text(search), text(by), option(how, ['all', 'leading', 'trailing'], 'all')),
  ),
  regex_match: fixed(2, ([s, source]) => pattern(text(source)).test(text(s))),
  regex_replace: fixed(3, ([s, source, by]) => regexReplace(text(s), text(source), text(by))),
  regex_extract: fixed(2, ([s, source]) => {
    const match = pattern(text(source)).exec(text(s));
    return match === null ? [] : match.slice(1).map((group) => group ?? '');
  }),
  ascii: fixed(1, ([s]) => {
    const code = text(s).codePointAt(0);
    if (code === undefined) throw new SqlEvalError('empty string');
    return code;
  }),
  find: ranged(2, 3, ([s, search, how]) => {
    const input = text(s);
    const at =
      option(how, ['leading', 'trailing'], 'leading') === 'leading'
        ? input.indexOf(text(search))
        : input.lastIndexOf(text(search));
    return at < 0 ? '' : input.slice(at);
  }),
  join_to_string: ranged(1, 2, (args) => {
    const [separator, items] = args.length === 1 ? [', ', args[0]] : [text(args[0]), args[1]];
    const parts = list(items).map(str);
    checkSize(parts.reduce((n, part) => n + part.length + separator.length, 0));
    return parts.join(separator);
  }),
  unescape: fixed(1, ([s]) => unescapeText(text(s))),
  rm_prefix: fixed(2, ([s, prefix]) => {
    const input = text(s);
    const p = text(prefix);
    return input.startsWith(p) ? input.slice(p.length) : input;
  }),
};
