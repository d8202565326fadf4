// Retained messages, publishing, bans and the live trace.
import {
  AdminError,
  type BanKind,
  type BrokerAdmin,
  type JsonProperties,
} from '../broker/admin.js';
import type { QoS } from '../protocol/constants.js';
import type { RouteTable } from './routes.js';
import * as S from './schemas.js';
import type { TraceStreams } from './trace.js';

const BASE64 = new RegExp(S.BASE64);

export function messageRoutes(table: RouteTable, admin: BrokerAdmin, trace: TraceStreams): void {
  retainedRoutes(table, admin);
  table.add({
    method: 'POST',
    url: '/api/v1/publish',
    tag: 'messages',
    summary: 'Publish a message as the broker',
    body: S.obj(
      {
        topic: S.str('Topic name (no wildcards)', { minLength: 1 }),
        payload: S.str('The payload, as UTF-8 text or base64 (see encoding)'),
        encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8' },
        qos: { ...S.qos, default: 0 },
        retain: { type: 'boolean', default: false },
        properties: S.properties,
      },
      ['topic'],
    ),
    responses: {
      200: {
        description: 'Published',
        schema: S.obj({ delivered: { type: 'integer', description: 'Sessions that got it' } }),
      },
    },
    handler: (req) => {
      const b = req.body as {
        topic: string;
        payload?: string;
        encoding: 'utf8' | 'base64';
        qos: QoS;
        retain: boolean;
        properties?: JsonProperties;
      };
      const text = b.payload ?? '';
      if (b.encoding === 'base64' && !BASE64.test(text))
        throw new AdminError('bad_request', 'body/payload is not valid base64');
      const payload = Buffer.from(text, b.encoding);
      const delivered = admin.publish({ ...b, payload });
      return { delivered };
    },
  });
  banRoutes(table, admin);
  table.add({
    method: 'GET',
    url: '/api/v1/trace',
    tag: 'messages',
    summary:
      'Live trace: messages passing through the broker, as Server-Sent Events (data: one JSON event per message)',
    querystring: S.obj({
      topic: S.str('Topic filter (default #)', { minLength: 1 }),
      clientId: S.str('Only messages published by this client', { minLength: 1 }),
    }),
    responses: {
      200: { description: 'An event stream', type: 'text/event-stream', schema: S.traceEvent },
      429: { description: 'Too many trace streams open' },
    },
    handler: (req, reply) => trace.open(req, reply),
  });
}

function retainedRoutes(table: RouteTable, admin: BrokerAdmin): void {
  const byTopic = S.obj(
    { topic: S.str('Topic name; its slashes as they are or URL-encoded (%2F)', { minLength: 1 }) },
    ['topic'],
  );
  table.add({
    method: 'GET',
    url: '/api/v1/retained',
    tag: 'retained',
    summary: 'List retained messages matching a filter',
    querystring: S.obj({
      filter: { ...S.str('Topic filter (default #)', { minLength: 1 }), default: '#' },
      ...S.pageQuery,
    }),
    responses: { 200: { description: 'A page', schema: S.page(S.retainedSummary) } },
    handler: (req) => {
      const q = req.query as { filter: string; limit: number; cursor?: string; order?: 'asc' };
      return admin.listRetained(q.filter, q);
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/retained/:topic*',
    tag: 'retained',
    summary: 'Read one retained message',
    params: byTopic,
    responses: {
      200: { description: 'The message', schema: S.retainedDetail },
      404: { description: 'None on this topic' },
    },
    handler: (req) => admin.getRetained(req.params.topic),
  });
  table.add({
    method: 'DELETE',
    url: '/api/v1/retained/:topic*',
    tag: 'retained',
    summary: 'Delete one retained message',
    params: byTopic,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'None on this topic' } },
    handler: (req, reply) => {
      admin.deleteRetained(req.params.topic);
      reply.code(204).send();
    },
  });
}

function banRoutes(table: RouteTable, admin: BrokerAdmin): void {
  const kind = { type: 'string', enum: ['clientId', 'username', 'ip'] };
  table.add({
    method: 'GET',
    url: '/api/v1/banned',
    tag: 'banned',
    summary: 'List banned clients',
    responses: {
      200: {
        description: 'Bans',
        schema: { type: 'object', properties: { items: { type: 'array', items: S.ban } } },
      },
    },
    handler: () => ({ items: admin.listBans() }),
  });
  table.add({
    method: 'POST',
    url: '/api/v1/banned',
    tag: 'banned',
    summary: 'Ban a client id, username or IP address (connected matches are disconnected)',
    body: S.obj(
      {
        kind,
        value: S.str(undefined, { minLength: 1, maxLength: 65535 }),
        reason: S.str(undefined, { maxLength: 500 }),
        until: S.int(0, Number.MAX_SAFE_INTEGER, 'Expiry, ms since the epoch'),
        durationSeconds: S.int(1, 0xffffffff, 'Expiry, seconds from now'),
      },
      ['kind', 'value'],
    ),
    responses: { 201: { description: 'Banned', schema: S.ban } },
    handler: (req, reply) => {
      const { durationSeconds, until, ...rest } = req.body as {
        kind: BanKind;
        value: string;
        reason?: string;
        until?: number;
        durationSeconds?: number;
      };
      if (durationSeconds !== undefined && until !== undefined)
        throw new AdminError('bad_request', 'body: give until or durationSeconds, not both');
      const expiry = durationSeconds === undefined ? until : Date.now() + durationSeconds * 1000;
      reply.code(201);
      return admin.ban({ ...rest, ...(expiry === undefined ? {} : { until: expiry }) });
    },
  });
  table.add({
    method: 'DELETE',
    url: '/api/v1/banned/:kind/:value',
    tag: 'banned',
    summary: 'Lift a ban',
    params: S.obj({ kind, value: S.str(undefined, { minLength: 1 }) }, ['kind', 'value']),
    responses: { 204: { description: 'Lifted' }, 404: { description: 'No such ban' } },
    handler: (req, reply) => {
      admin.unban(req.params.kind as BanKind, req.params.value!);
      reply.code(204).send();
    },
  });
}
