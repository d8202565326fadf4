// The route table: every API route is declared once with its JSON schemas, which fastify
// validates and the OpenAPI document describes, so the two cannot drift apart.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type Schema = Record<string, unknown>;

const ERROR_NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
};

export const errorName = (status: number) =>
  ERROR_NAMES[status] ?? (status >= 500 ? 'internal_error' : 'error');

/** An HTTP refusal with its status; the body is { statusCode, error, message }. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * fastify syntax: /api/v1/clients/:clientId. A last parameter written `:topic*` takes the
   * rest of the path, slashes included (/api/v1/retained/sensors/kitchen/temp).
   */
  url: string;
  summary: string;
  tag: string;
  /** No credentials needed (probes, login). */
  public?: boolean;
  params?: Schema;
  querystring?: Schema;
  body?: Schema;
  /** Status code → description and JSON schema of the body (documentation only). */
  responses: Record<number, { description: string; schema?: Schema; type?: string }>;
  handler: (
    request: FastifyRequest<{
      Params: Record<string, string>;
      Querystring: unknown;
      Body: unknown;
    }>,
    reply: FastifyReply,
  ) => unknown;
}

export class RouteTable {
  readonly routes: RouteSpec[] = [];

  constructor(private readonly app: FastifyInstance) {}

  add(spec: RouteSpec): void {
    this.routes.push(spec);
    const rest = /:(\w+)\*$/.exec(spec.url)?.[1];
    if (rest !== undefined) {
      this.add({ ...spec, ...restParameter(spec, rest) });
      this.routes.pop();
      return;
    }
    this.app.route({
      method: spec.method,
      url: spec.url,
      config: { public: spec.public === true },
      schema: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.querystring ? { querystring: spec.querystring } : {}),
        ...(spec.body ? { body: spec.body } : {}),
      },
      handler: spec.handler as (request: FastifyRequest, reply: FastifyReply) => unknown,
    });
  }

  openapi(info: { title: string; version: string }): Schema {
    const paths: Record<string, Record<string, Schema>> = {};
    for (const r of this.routes) {
      const path = openapiPath(r.url);
      paths[path] ??= {};
      paths[path][r.method.toLowerCase()] = operation(r);
    }
    return {
      openapi: '3.0.3',
      info: { ...info, description: 'Culex MQTT broker: operations API' },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key (culex apikey create) or a token from POST /api/v1/login',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
        schemas: { Error: errorSchema },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      paths,
    };
  }
}

export const errorSchema: Schema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string', description: 'bad_request, unauthorized, not_found, conflict, …' },
    message: { type: 'string', description: 'What was wrong, naming the field' },
  },
};

function parameters(where: 'path' | 'query', schema: Schema | undefined): Schema[] {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    description: s.description,
    schema: { ...s, description: undefined },
  }));
}

function operation(r: RouteSpec): Schema {
  const responses: Record<string, Schema> = {};
  for (const [code, res] of Object.entries(r.responses)) {
    const type = res.type ?? 'application/json';
    responses[code] = {
      description: res.description,
      ...(res.schema ? { content: { [type]: { schema: res.schema } } } : {}),
    };
  }
  const errors: Record<string, string> = r.public
    ? { 400: 'Invalid input' }
    : { 400: 'Invalid input', 401: 'Missing or invalid credentials' };
  for (const [code, description] of Object.entries(errors)) {
    if (code === '400' && !r.params && !r.querystring && !r.body) continue;
    responses[code] ??= {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    summary: r.summary,
    tags: [r.tag],
    operationId: `${r.method.toLowerCase()}${r.url.replace(/[/:{}*]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(r.public ? { security: [] } : {}),
    parameters: [...parameters('path', r.params), ...parameters('query', r.querystring)],
    ...(r.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } }
      : {}),
    responses,
  };
}

/** fastify's wildcard route for a `:name*` parameter: `*` is validated and handed on as `name`. */
function restParameter(spec: RouteSpec, name: string): Partial<RouteSpec> {
  const properties = (spec.params?.properties ?? {}) as Record<string, Schema>;
  return {
    url: spec.url.replace(/:\w+\*$/, '*'),
    params: { type: 'object', properties: { '*': properties[name] ?? {} }, required: ['*'] },
    handler: (request, reply) => {
      request.params[name] = request.params['*']!;
      return spec.handler(request, reply);
    },
  };
}

/** /api/v1/clients/:clientId → /api/v1/clients/{clientId} (a `:topic*` rest too). */
export function openapiPath(url: string): string {
  return url.replace(/:(\w+)\*?/g, '{$1}');
}
