import type { SqlFunction } from '../scope.js';
import { COLLECTIONS } from './collections.js';
import { CODEC } from './codec.js';
import { CONVERT } from './convert.js';
import { MATH } from './math.js';
import { STRING } from './string.js';
import { TIME } from './time.js';
import { TOPIC } from './topic.js';

/** Every built-in function by its lower-case name (EMQX's names; docs/RULES-SQL.md lists them). */
export const FUNCTIONS: ReadonlyMap<string, SqlFunction> = new Map(
  Object.entries({ ...MATH, ...STRING, ...CONVERT, ...COLLECTIONS, ...CODEC, ...TIME, ...TOPIC }),
);
