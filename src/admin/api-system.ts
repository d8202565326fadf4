// Status, probes, login, configuration, metrics and the OpenAPI document.
import type { BrokerAdmin, Status } from '../broker/admin.js';
import type { ApiAuth } from './auth.js';
import type { Metrics } from './metrics.js';
import { HttpError, type RouteTable } from './routes.js';
import * as S from './schemas.js';

export interface ListenerView {
  type: string;
  host: string;
  port: number;
  path?: string;
}

export interface SystemContext {
  admin: BrokerAdmin;
  auth: ApiAuth;
  metrics: Metrics;
  listeners: () => ListenerView[];
  http: () => { host: string; port: number };
  ready: () => boolean;
  config: unknown;
}

const status = S.obj({ status: S.str() });

export function systemRoutes(table: RouteTable, ctx: SystemContext): void {
  probeRoutes(table, ctx);
  loginRoutes(table, ctx);
  table.add({
    method: 'GET',
    url: '/api/v1/status',
    tag: 'system',
    summary: 'Node name, version, uptime, listeners, and whether the node is in a cluster',
    responses: { 200: { description: 'Status' } },
    handler: (): Status => {
      const f = ctx.admin.figures();
      return {
        node: f.nodeName,
        version: f.version,
        startedAt: f.startedAt,
        uptimeSeconds: Math.floor((Date.now() - f.startedAt) / 1000),
        listeners: ctx.listeners(),
        http: ctx.http(),
        cluster: ctx.admin.cluster() !== undefined,
      };
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/config',
    tag: 'system',
    summary: 'The effective configuration, secrets redacted',
    responses: { 200: { description: 'Configuration' } },
    handler: () => redact(ctx.config),
  });
  metricRoutes(table, ctx);
}

function probeRoutes(table: RouteTable, ctx: SystemContext): void {
  table.add({
    method: 'GET',
    url: '/api/v1/health/live',
    tag: 'system',
    summary: 'Liveness probe: the process answers',
    public: true,
    responses: { 200: { description: 'Alive', schema: status } },
    handler: () => ({ status: 'ok' }),
  });
  table.add({
    method: 'GET',
    url: '/api/v1/health/ready',
    tag: 'system',
    summary: 'Readiness probe: the broker accepts clients',
    public: true,
    responses: {
      200: { description: 'Ready', schema: status },
      503: { description: 'Starting or stopping', schema: status },
    },
    handler: (_req, reply) => {
      if (ctx.ready()) return { status: 'ready' };
      reply.code(503);
      return { status: 'unavailable' };
    },
  });
}

function loginRoutes(table: RouteTable, ctx: SystemContext): void {
  const failures = new Map<string, { count: number; since: number }>();
  table.add({
    method: 'POST',
    url: '/api/v1/login',
    tag: 'auth',
    summary: 'Dashboard login: username and password for a short-lived bearer token',
    public: true,
    body: S.obj(
      {
        username: S.str(undefined, { minLength: 1, maxLength: 200 }),
        password: S.str(undefined, { maxLength: 1000 }),
      },
      ['username', 'password'],
    ),
    responses: {
      200: {
        description: 'Logged in',
        schema: S.obj({ token: S.str(), expiresAt: { type: 'integer' } }),
      },
      401: { description: 'Wrong username or password' },
      429: { description: 'Too many failed logins from this address; wait a minute' },
    },
    handler: (req) => {
      const now = Date.now();
      const seen = failures.get(req.ip);
      if (seen && now - seen.since > 60_000) failures.delete(req.ip);
      else if (seen && seen.count >= 10)
        throw new HttpError(429, 'too many failed logins; try again in a minute');
      const { username, password } = req.body as { username: string; password: string };
      const session = ctx.auth.login(username, password);
      if (session !== undefined) return session;
      const entry = failures.get(req.ip) ?? { count: 0, since: now };
      entry.count++;
      failures.set(req.ip, entry);
      ctx.metrics.httpAuthFailures++;
      throw new HttpError(401, 'wrong username or password');
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/session',
    tag: 'auth',
    summary: 'Whether the bearer credential sent is valid; 200 either way (no 401 to log)',
    public: true,
    responses: {
      200: { description: 'The answer', schema: S.obj({ authenticated: { type: 'boolean' } }) },
    },
    handler: (req) => {
      const credential = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      return { authenticated: credential !== '' && ctx.auth.verify(credential) !== undefined };
    },
  });
  table.add({
    method: 'POST',
    url: '/api/v1/logout',
    tag: 'auth',
    summary: 'End a dashboard token',
    responses: { 204: { description: 'Logged out' } },
    handler: (req, reply) => {
      const header = req.headers.authorization ?? '';
      ctx.auth.logout(header.replace(/^Bearer\s+/i, ''));
      reply.code(204).send();
    },
  });
}

function metricRoutes(table: RouteTable, ctx: SystemContext): void {
  table.add({
    method: 'GET',
    url: '/metrics',
    tag: 'metrics',
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'Metrics', type: 'text/plain', schema: { type: 'string' } } },
    handler: async (_req, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.prometheus();
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/metrics',
    tag: 'metrics',
    summary: 'The same figures as /metrics, as JSON',
    responses: { 200: { description: 'Figures' } },
    handler: () => ctx.metrics.snapshot(),
  });
  table.add({
    method: 'GET',
    url: '/api/v1/metrics/history',
    tag: 'metrics',
    summary: 'Connections and message rates over the last minutes, for charts',
    responses: { 200: { description: 'Samples, oldest first' } },
    handler: () => ({
      intervalSeconds: ctx.metrics.sampleInterval,
      samples: ctx.metrics.history,
    }),
  });
}

const SECRET = /pass(word|phrase)?$|secret|^token$|^key$|hash$|private|credential|authorization/i;

/** The password of a URL's user info: postgres://user:password@host. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)[^/@\s]*@/i;

/**
 * A deep copy with the values of secret-looking keys, and passwords in URLs, replaced; a
 * `users` mapping (SCRAM's `users: { alice: "password" }`) has passwords for values, whatever
 * the user names.
 */
export function redact(value: unknown, key = ''): unknown {
  const secret = SECRET.test(key) || key === '[user]';
  if (secret && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (typeof value === 'string') return value.replace(URL_PASSWORD, '$1[redacted]@');
  if (key === 'users' && value !== null && typeof value === 'object' && !Array.isArray(value))
    return Object.fromEntries(Object.keys(value).map((name) => [name, redact('x', '[user]')]));
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}
