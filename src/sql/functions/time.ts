import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { bad, impure, int, option, ranged, text } from './args.js';

/**
 * EMQX's date and time functions. Times are kept as BigInt nanoseconds since the epoch so a
 * nanosecond timestamp is exact; offsets are seconds east of UTC.
 */

const UNITS = ['second', 'millisecond', 'microsecond', 'nanosecond'] as const;
type Unit = (typeof UNITS)[number];
const NANOS: Record<Unit, bigint> = {
  second: 1_000_000_000n,
  millisecond: 1_000_000n,
  microsecond: 1_000n,
  nanosecond: 1n,
};
const DIGITS: Record<Unit, number> = { second: 0, millisecond: 3, microsecond: 6, nanosecond: 9 };

const unitOf = (v: unknown): Unit => option(v, UNITS, 'second');
const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
const toUnit = (nanos: bigint, unit: Unit) => Number(floorDiv(nanos, NANOS[unit]));
const fromUnit = (value: unknown, unit: Unit) => BigInt(int(value)) * NANOS[unit];

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** This machine's offset at `nanos`, in seconds east of UTC. */
const localOffset = (nanos: bigint) =>
  -new Date(Number(floorDiv(nanos, 1_000_000n))).getTimezoneOffset() * 60;

/** 'z', 'Z', 'local', '+HHMM', '+HH:MM', '+HH:MM:SS' or an integer of seconds. */
function offsetOf(v: unknown, nanos: bigint): number {
  if (typeof v === 'number') return int(v);
  const t = text(v);
  if (t === 'z' || t === 'Z') return 0;
  if (t === 'local') return localOffset(nanos);
  const m = /^([+-])(\d{2}):?(\d{2})(?::?(\d{2}))?$/.exec(t);
  if (!m) throw bad("an offset like '+08:00', 'Z', 'local' or seconds", v);
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

const two = (n: number) => String(n).padStart(2, '0');

function offsetText(offset: number, style: 'z' | ':z' | '::z'): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const [h, m, s] = [Math.floor(abs / 3600), Math.floor(abs / 60) % 60, abs % 60];
  if (style === 'z') return `${sign}${two(h)}${two(m)}`;
  return style === ':z' ? `${sign}${two(h)}:${two(m)}` : `${sign}${two(h)}:${two(m)}:${two(s)}`;
}

/** `%Y-%m-%d %H:%M:%S.%3N%:z` and the like, for the instant `nanos` at `offset`. */
function formatDate(format: string, nanos: bigint, offset: number): string {
  const seconds = floorDiv(nanos, 1_000_000_000n);
  const fraction = String(nanos - seconds * 1_000_000_000n).padStart(9, '0');
  const date = new Date(Number(seconds + BigInt(offset)) * 1000);
  return format.replace(/%(::z|:z|z|[369]?N|[YmdHMS%])/g, (_, d: string) => {
    switch (d) {
      case 'Y':
        return String(date.getUTCFullYear()).padStart(4, '0');
      case 'm':
        return two(date.getUTCMonth() + 1);
      case 'd':
        return two(date.getUTCDate());
      case 'H':
        return two(date.getUTCHours());
      case 'M':
        return two(date.getUTCMinutes());
      case 'S':
        return two(date.getUTCSeconds());
      case '%':
        return '%';
      case 'z':
      case ':z':
      case '::z':
        return offsetText(offset, d);
      default:
        return fraction.slice(0, d === 'N' ? 9 : Number(d[0]));
    }
  });
}

const rfc3339 = (nanos: bigint, unit: Unit) => {
  const digits = DIGITS[unit];
  const format = digits === 0 ? '%Y-%m-%dT%H:%M:%S%:z' : `%Y-%m-%dT%H:%M:%S.%${digits}N%:z`;
  return formatDate(format, nanos, localOffset(nanos));
};

/** What each directive reads when parsing, and where it goes. */
const PARSE: Record<string, string> = {
  Y: '(\\d{4})',
  m: '(\\d{2})',
  d: '(\\d{2})',
  H: '(\\d{2})',
  M: '(\\d{2})',
  S: '(\\d{2})',
  N: '(\\d{9})',
  '3N': '(\\d{3})',
  '6N': '(\\d{6})',
  '9N': '(\\d{9})',
  z: '([+-]\\d{4}|[zZ])?',
  ':z': '([+-]\\d{2}:\\d{2}|[zZ])?',
  '::z': '([+-]\\d{2}:\\d{2}:\\d{2}|[zZ])?',
};

/** date_to_unix_ts(): reads `input` by `format`; an offset in the text wins over `offset`. */
function parseDate(format: string, input: string, offset: unknown): bigint {
  const fields: string[] = [];
  const source = format.replace(/%(::z|:z|z|[369]?N|[YmdHMS])|[.*+?^${}()|[\]\\]/g, (all, d) => {
    if (d === undefined) return `\\${all}`;
    fields.push(d);
    return PARSE[d]!;
  });
  const m = new RegExp(`^${source}$`).exec(input.trim());
  if (!m) throw new SqlEvalError(`'${input}' does not match '${format}'`);
  const part: Record<string, string> = {};
  fields.forEach((field, i) => {
    if (m[i + 1] !== undefined) part[field.includes('z') ? 'z' : field] = m[i + 1]!;
  });
  const fraction = part.N ?? part['9N'] ?? part['6N'] ?? part['3N'] ?? '';
  const utc = Date.UTC(
    Number(part.Y ?? 1970),
    Number(part.m ?? 1) - 1,
    Number(part.d ?? 1),
    Number(part.H ?? 0),
    Number(part.M ?? 0),
    Number(part.S ?? 0),
  );
  const local = BigInt(utc) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
  const shift = part.z !== undefined ? offsetOf(part.z, local) : offsetOf(offset ?? 'Z', local);
  return local - BigInt(shift) * 1_000_000_000n;
}

export const TIME: Record<string, SqlFunction> = {
  now_timestamp: impure(0, 1, ([unit]) => toUnit(nowNanos(), unitOf(unit))),
  now_rfc3339: impure(0, 1, ([unit]) => rfc3339(nowNanos(), unitOf(unit))),
  unix_ts_to_rfc3339: ranged(1, 2, ([ts, unit]) =>
    rfc3339(fromUnit(ts, unitOf(unit)), unitOf(unit)),
  ),
  rfc3339_to_unix_ts: ranged(1, 2, ([value, unit]) => {
    const t = text(value);
    const m =
      /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([zZ]|[+-]\d{2}:\d{2})$/.exec(t);
    if (!m) throw bad('an RFC 3339 time', value);
    const nanos = parseDate(
      '%Y-%m-%d %H:%M:%S%N%:z',
      `${m[1]} ${m[2]}${(m[3] ?? '').padEnd(9, '0')}${m[4]}`,
      'Z',
    );
    return toUnit(nanos, unitOf(unit));
  }),
  format_date: ranged(3, 4, ([unit, offset, format, ts]) => {
    const u = unitOf(unit);
    const nanos = ts === undefined ? nowNanos() : fromUnit(ts, u);
    return formatDate(text(format), nanos, offsetOf(offset, nanos));
  }),
  date_to_unix_ts: ranged(3, 4, (args) => {
    const [unit, offset, format, input] =
      args.length === 4 ? args : [args[0], undefined, args[1], args[2]];
    return toUnit(parseDate(text(format), text(input), offset), unitOf(unit));
  }),
  timezone_to_second: ranged(1, 1, ([offset]) => offsetOf(offset, nowNanos())),
  timezone_to_offset_seconds: ranged(1, 1, ([offset]) => offsetOf(offset, nowNanos())),
};
