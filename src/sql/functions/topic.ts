import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { textOf } from '../values.js';
import { impure, int, reading } from './args.js';

export const TOPIC: Record<string, SqlFunction> = {
  // topic(): the input's topic; topic(n): its n-th level, from 1.
  topic: reading(
    ['topic'],
    impure(0, 1, ([n], scope) => {
      const topic = textOf(scope.input.topic);
      if (topic === undefined) throw new SqlEvalError('the input has no topic');
      if (n === undefined) return topic;
      const level = topic.split('/')[int(n) - 1];
      if (level === undefined || int(n) < 1) throw new SqlEvalError(`no level ${n} in '${topic}'`);
      return level;
    }),
  ),
  // [a..b] in an expression: the integers from a to b.
  $range: impure(2, 2, ([from, to]) => {
    const a = int(from);
    const b = int(to);
    if (b - a > 100_000) throw new SqlEvalError('range of more than 100000 elements');
    const out: number[] = [];
    for (let i = a; i <= b; i++) out.push(i);
    return out;
  }),
};
