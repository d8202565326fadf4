import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { deepEquals, isObject, own, putPath, setOwn, textOf } from '../values.js';
import { bad, fixed, int, list, map, ranged, text } from './args.js';

/** The keys of map_get's 'a.b.c', or mget's key or list of keys. */
const dotted = (key: unknown) => text(key).split('.');
const keyList = (key: unknown) => (Array.isArray(key) ? key.map(text) : [text(key)]);

function getPath(source: unknown, keys: readonly string[], fallback: unknown): unknown {
  let value: unknown = map(source);
  for (const key of keys) {
    if (!isObject(value)) return fallback;
    value = own(value, key);
  }
  return value === undefined ? fallback : value;
}

function putIn(source: unknown, keys: readonly string[], value: unknown) {
  const copy = { ...map(source) };
  putPath(copy, keys, value);
  return copy;
}

function nth(n: number, items: readonly unknown[]): unknown {
  if (n < 1 || n > items.length) throw new SqlEvalError(`no element ${n} in ${items.length}`);
  return items[n - 1];
}

export const COLLECTIONS: Record<string, SqlFunction> = {
  map_get: ranged(2, 3, ([key, m, fallback]) => getPath(m, dotted(key), fallback)),
  map_put: fixed(3, ([key, value, m]) => putIn(m, dotted(key), value)),
  mget: ranged(2, 3, ([key, m, fallback]) => getPath(m, keyList(key), fallback)),
  mput: fixed(3, ([key, value, m]) => putIn(m, keyList(key), value)),
  map_keys: fixed(1, ([m]) => Object.keys(map(m))),
  map_values: fixed(1, ([m]) => Object.values(map(m))),
  map_to_entries: fixed(1, ([m]) => Object.entries(map(m)).map(([key, value]) => ({ key, value }))),
  map_size: fixed(1, ([m]) => Object.keys(map(m)).length),
  map_from_entries: fixed(1, ([entries]) => {
    const out: Record<string, unknown> = {};
    for (const entry of list(entries)) {
      if (!isObject(entry) || textOf(own(entry, 'key')) === undefined)
        throw bad('{key, value}', entry);
      setOwn(out, textOf(own(entry, 'key'))!, own(entry, 'value'));
    }
    return out;
  }),
  nth: fixed(2, ([n, items]) => nth(int(n), list(items))),
  length: fixed(1, ([items]) => (isObject(items) ? Object.keys(items).length : list(items).length)),
  // sublist(len, list) from the start; sublist(start, len, list) with start from 1.
  sublist: ranged(2, 3, (args) => {
    const items = list(args[args.length - 1]);
    const start = args.length === 3 ? int(args[0]) : 1;
    const length = int(args[args.length - 2]);
    if (start < 1 || length < 0) throw bad('a start from 1 and a length from 0', args[0]);
    return items.slice(start - 1, start - 1 + length);
  }),
  first: fixed(1, ([items]) => nth(1, list(items))),
  last: fixed(1, ([items]) => {
    const all = list(items);
    return nth(all.length, all);
  }),
  contains: fixed(2, ([value, items]) => list(items).some((item) => deepEquals(value, item))),
};
