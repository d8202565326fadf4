// The `${...}` templates sinks render (topic, body, SQL, Redis command). The rule SQL layer
// (src/sql) owns them; this file is the one place connectors take them from.
// TODO(rules-sql): re-export compileTemplate/compileSqlTemplate from '../sql/index.js' once
// that branch lands; until then this minimal version follows the same contract.

export interface Template {
  render(data: Readonly<Record<string, unknown>>): string;
  readonly fields: readonly string[];
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

function lookup(data: Readonly<Record<string, unknown>>, path: string): unknown {
  if (path === '.' || path === '') return data;
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (typeof value === 'string' || value instanceof Uint8Array) value = parseJson(value);
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function parseJson(text: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString());
  } catch {
    return undefined;
  }
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  if (typeof value === 'object') return JSON.stringify(value, jsonBuffers);
  return String(value);
}

function jsonBuffers(_key: string, value: unknown): unknown {
  if (value && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString();
  }
  return value;
}

export function compileTemplate(text: string): Template {
  const fields = [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim());
  const parts = text.split(PLACEHOLDER);
  return {
    fields,
    render(data) {
      let out = '';
      for (let i = 0; i < parts.length; i++) {
        out += i % 2 === 0 ? parts[i] : toText(lookup(data, parts[i]!.trim()));
      }
      return out;
    },
  };
}

/** `INSERT INTO t(a) VALUES (${a})` → `INSERT INTO t(a) VALUES ($1)` and the parameter values. */
export function compileSqlTemplate(text: string): {
  text: string;
  params(data: Readonly<Record<string, unknown>>): unknown[];
} {
  const fields: string[] = [];
  const sql = text.replace(PLACEHOLDER, (_m, path: string) => {
    fields.push(path.trim());
    return `$${fields.length}`;
  });
  return {
    text: sql,
    params: (data) =>
      fields.map((path) => {
        const value = lookup(data, path);
        if (value === undefined) return null;
        if (typeof value === 'object' && value !== null) return toText(value);
        return value;
      }),
  };
}
