// The dashboard's only way to the broker: the HTTP API, with the login token as Bearer.

const TOKEN_KEY = 'culex.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function logout(): void {
  const t = token();
  localStorage.removeItem(TOKEN_KEY);
  if (t)
    void fetch('/api/v1/logout', { method: 'POST', headers: { authorization: `Bearer ${t}` } });
  window.dispatchEvent(new Event('culex:logout'));
}

/**
 * Whether the stored token is still good (the broker may have restarted, or it expired),
 * asked in a way that answers 200 either way: no 401 in the console. Drops a bad token.
 */
export async function checkSession(): Promise<boolean> {
  const t = token();
  if (t === null) return false;
  const res = await fetch('/api/v1/session', { headers: { authorization: `Bearer ${t}` } });
  const body = await res.json().catch(() => ({}));
  if (body.authenticated === true) return true;
  localStorage.removeItem(TOKEN_KEY);
  return false;
}

/** "1 client", "2 clients". */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
}

export async function login(username: string, password: string): Promise<void> {
  const res = await fetch('/api/v1/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message ?? res.statusText);
  localStorage.setItem(TOKEN_KEY, body.token);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    localStorage.removeItem(TOKEN_KEY);
    window.dispatchEvent(new Event('culex:logout'));
  }
  if (res.status === 204) return undefined as T;
  const parsed = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, parsed.message ?? res.statusText);
  return parsed as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

export function query(params: Record<string, string | number | boolean | undefined | null>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// The server's response shapes (type-only: nothing of the server is bundled).
export type {
  Ban,
  ClientDetail,
  ClientSummary,
  ClusterNode,
  ClusterNodes,
  Page,
  RetainedDetail,
  RetainedView,
  Status,
  SubscriptionView,
  TraceEvent,
} from '../../src/broker/admin-wire.js';

/** Streams Server-Sent Events from an API path until `signal` aborts. */
export async function stream(
  path: string,
  signal: AbortSignal,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const res = await fetch(`/api/v1${path}`, {
    headers: { authorization: `Bearer ${token() ?? ''}` },
    signal,
  });
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.message ?? res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) onEvent(event, data);
      at = buffer.indexOf('\n\n');
    }
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatTime(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString();
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
