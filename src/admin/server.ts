// The operations listener: HTTP API, /metrics and the dashboard on one fastify server.
import { Ajv } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { AdminError, BrokerAdmin } from '../broker/admin.js';
import type { AuthSourceFigures } from '../broker/admin-wire.js';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/hooks.js';
import { clientRoutes } from './api-clients.js';
import { messageRoutes } from './api-messages.js';
import { type ListenerView, systemRoutes } from './api-system.js';
import { clusterRoutes } from './api-cluster.js';
import { ruleRoutes } from './api-rules.js';
import { defineRuleMetrics } from './metrics-rules.js';
import type { RulesHost } from '../rules/host.js';
import { ApiAuth, type AuthOptions } from './auth.js';
import { Metrics, type MetricsOptions } from './metrics.js';
import { errorName, HttpError, RouteTable } from './routes.js';
import { DEFAULT_DASHBOARD_DIR, dashboardRoutes } from './static.js';
import { type TraceOptions, TraceStreams } from './trace.js';

export interface AdminHttpOptions extends AuthOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Shown at GET /api/v1/config, secrets redacted. */
  config?: unknown;
  /** The broker's listeners, for GET /api/v1/status and the dashboard's WebSocket client. */
  listeners?: () => ListenerView[];
  /** The auth sources' figures, for /metrics and the dashboard. */
  authSources?: () => AuthSourceFigures[];
  /** Ready for traffic (readiness probe); default: always once started. */
  ready?: () => boolean;
  /** The built dashboard; false serves none. */
  dashboardDir?: string | false;
  metrics?: MetricsOptions;
  trace?: TraceOptions;
  /** Largest request body, bytes. */
  bodyLimit?: number;
  logger?: Logger;
  /** The rule engine: its API (/api/v1/rules, /api/v1/connectors) and metrics. */
  rules?: RulesHost;
}

export class AdminServer {
  private closing = false;

  constructor(
    readonly app: FastifyInstance,
    readonly admin: BrokerAdmin,
    readonly metrics: Metrics,
    readonly table: RouteTable,
    private readonly trace: TraceStreams,
    readonly host: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.trace.closeAll();
    this.metrics.close();
    await this.app.close();
  }
}

/** Starts the admin listener for a broker that is already open. */
export async function startAdmin(broker: Broker, options: AdminHttpOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler());
  const admin = new BrokerAdmin(broker);
  const metrics = new Metrics(admin, options.metrics);
  const auth = new ApiAuth(options);
  const trace = new TraceStreams(admin, options.trace);
  metrics.countTraceStreams = () => trace.size;
  if (options.authSources) metrics.authSources = options.authSources;
  const table = new RouteTable(app);
  let server: AdminServer | undefined;
  // JSON in: any other body type is refused with 415.
  app.removeContentTypeParser('text/plain');
  handleErrors(app, options.logger);
  app.addHook('onRequest', async (request) => authenticate(request, auth, metrics));
  systemRoutes(table, {
    admin,
    auth,
    metrics,
    listeners: options.listeners ?? (() => []),
    http: () => ({ host, port: server?.port ?? 0 }),
    // A node cut off from its cluster is not ready: load balancers send clients elsewhere.
    ready: () =>
      server !== undefined &&
      !server.isClosing &&
      (options.ready?.() ?? true) &&
      (admin.cluster()?.linked ?? true),
    config: options.config ?? { broker: broker.options },
  });
  clusterRoutes(table, admin);
  clientRoutes(table, admin);
  messageRoutes(table, admin, trace);
  if (options.rules) {
    ruleRoutes(table, options.rules);
    defineRuleMetrics(metrics.registry, options.rules);
  }
  table.add({
    method: 'GET',
    url: '/api/v1/openapi.json',
    tag: 'system',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3 document' } },
    handler: () => table.openapi({ title: 'Culex', version: admin.figures().version }),
  });
  if (options.dashboardDir !== false)
    dashboardRoutes(app, options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
  try {
    await app.listen({ port: options.port, host });
  } catch (error) {
    metrics.close();
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  server = new AdminServer(app, admin, metrics, table, trace, host, port);
  return server;
}

/**
 * Bodies are checked as sent ("5" is no number); query strings and paths are text, so they are
 * converted first. Unknown fields are refused, never silently dropped.
 */
function validatorCompiler() {
  const options = { useDefaults: true, removeAdditional: false, allErrors: false } as const;
  const strict = new Ajv({ ...options, coerceTypes: false });
  const converting = new Ajv({ ...options, coerceTypes: 'array' });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : converting).compile(schema);
}

function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const key = request.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

function authenticate(request: FastifyRequest, auth: ApiAuth, metrics: Metrics): void {
  if ((request.routeOptions.config as { public?: boolean }).public === true) return;
  const credential = credentialOf(request);
  if (credential === undefined) {
    metrics.httpAuthFailures++;
    throw new HttpError(
      401,
      'credentials required: send "Authorization: Bearer <API key or login token>" or "X-API-Key: <API key>"',
    );
  }
  if (auth.verify(credential) === undefined) {
    metrics.httpAuthFailures++;
    throw new HttpError(401, 'invalid or expired API key or token');
  }
}

/** "body/qos must be equal to one of the allowed values" says which: ": 0, 1, 2". */
function withAllowedValues(message: string, validation: FastifyError['validation']): string {
  const allowed = validation?.find((v) => v.keyword === 'enum')?.params.allowedValues;
  return Array.isArray(allowed) ? `${message}: ${allowed.join(', ')}` : message;
}

function handleErrors(app: FastifyInstance, logger: Logger | undefined): void {
  const statusOf: Record<AdminError['kind'], number> = {
    bad_request: 400,
    not_found: 404,
    conflict: 409,
  };
  app.setErrorHandler((error: FastifyError | AdminError | HttpError, request, reply) => {
    let status: number;
    let message = error.message;
    if (error instanceof AdminError) status = statusOf[error.kind];
    else if (error instanceof HttpError) status = error.statusCode;
    else if ('validation' in error && error.validation) {
      status = 400;
      message = withAllowedValues(error.message, error.validation);
    } else
      status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      logger?.error({ err: error, url: request.url }, 'admin API error');
      message = 'internal error';
    }
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    reply.code(status).send({ statusCode: status, error: errorName(status), message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      statusCode: 404,
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}
