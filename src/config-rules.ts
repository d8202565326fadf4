// The checking of configuration values: every key has a rule, and a value that breaks it
// stops start-up with a message naming key, value and what fits (config.ts uses these).
import { CulexError, ErrorCode } from './errors.js';

export type Rule =
  | { kind: 'number'; min: number; max: number }
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly (string | number)[] };

export const port: Rule = { kind: 'number', min: 0, max: 65535 };

function describe(rule: Rule): string {
  switch (rule.kind) {
    case 'number':
      return `a whole number from ${rule.min} to ${rule.max}`;
    case 'enum':
      return `one of ${rule.values.join(', ')}`;
    default:
      return `a ${rule.kind}`;
  }
}

/** Checks and converts one value; `fromText` accepts strings for numbers and booleans (env, flags). */
export function checkValue(where: string, rule: Rule, value: unknown, fromText = false): unknown {
  let v = value;
  if (fromText && typeof v === 'string') {
    if (rule.kind === 'number' || (rule.kind === 'enum' && typeof rule.values[0] === 'number'))
      v = v.trim() === '' ? Number.NaN : Number(v);
    else if (rule.kind === 'boolean') v = v === 'true' ? true : v === 'false' ? false : v;
  }
  const ok =
    (rule.kind === 'number' &&
      typeof v === 'number' &&
      Number.isInteger(v) &&
      v >= rule.min &&
      v <= rule.max) ||
    (rule.kind === 'string' && typeof v === 'string') ||
    (rule.kind === 'boolean' && typeof v === 'boolean') ||
    (rule.kind === 'enum' && rule.values.includes(v as string | number));
  if (!ok)
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `invalid value ${JSON.stringify(value)} for '${where}': expected ${describe(rule)}`,
    );
  return v;
}

export function applySection(
  target: Record<string, unknown>,
  section: unknown,
  rules: Record<string, Rule>,
  prefix: string,
  fromText = false,
  allowed: readonly string[] = Object.keys(rules),
): void {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) {
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `'${prefix || 'configuration'}' must be a mapping of keys to values`,
    );
  }
  for (const [key, value] of Object.entries(section)) {
    const rule = rules[key];
    const where = prefix ? `${prefix}.${key}` : key;
    if (rule === undefined)
      throw new CulexError(
        ErrorCode.ConfigUnknownKey,
        `unknown setting '${where}' (allowed: ${allowed.join(', ')})`,
      );
    target[key] = checkValue(where, rule, value, fromText);
  }
}
