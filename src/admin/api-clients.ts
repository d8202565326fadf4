// Clients, sessions and subscriptions.
import {
  type BrokerAdmin,
  CLIENT_SORTS,
  type ClientSort,
  type PageRequest,
  type SubscribeRequest,
} from '../broker/admin.js';
import type { RouteTable } from './routes.js';
import * as S from './schemas.js';

const byId = S.obj({ clientId: S.clientId }, ['clientId']);

type PageQuery = { limit: number; cursor?: string; order?: 'asc' | 'desc' };
const pageOf = (q: PageQuery): PageRequest => ({
  limit: q.limit,
  cursor: q.cursor,
  order: q.order,
});

/** The query of a client list: filters, sort and page (also for the cluster's list). */
export const clientsQuery = S.obj({
  clientId: S.str('Part of the client id', { minLength: 1 }),
  username: S.str('Username, exactly'),
  ip: S.str('IP address, exactly'),
  connected: S.bool('Only connected (true) or only offline (false) clients'),
  sort: { type: 'string', enum: [...CLIENT_SORTS], default: 'clientId' },
  ...S.pageQuery,
});

export function clientsRequest(query: unknown) {
  const q = query as PageQuery & {
    clientId?: string;
    username?: string;
    ip?: string;
    connected?: boolean;
    sort: ClientSort;
  };
  const filter = { clientId: q.clientId, username: q.username, ip: q.ip, connected: q.connected };
  return { filter, sort: q.sort, page: pageOf(q) };
}

export function clientRoutes(table: RouteTable, admin: BrokerAdmin): void {
  table.add({
    method: 'GET',
    url: '/api/v1/clients',
    tag: 'clients',
    summary: 'List clients (connected, and offline ones with a session)',
    querystring: clientsQuery,
    responses: { 200: { description: 'A page of clients', schema: S.page(S.clientSummary) } },
    handler: (req) => {
      const { filter, sort, page } = clientsRequest(req.query);
      return admin.listClients(filter, sort, page);
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/clients/:clientId',
    tag: 'clients',
    summary: "One client's detail",
    params: byId,
    responses: {
      200: { description: 'The client', schema: S.clientDetail },
      404: { description: 'No such client' },
    },
    handler: (req) => admin.clientDetail(req.params.clientId),
  });
  table.add({
    method: 'POST',
    url: '/api/v1/clients/:clientId/kick',
    tag: 'clients',
    summary: 'Disconnect a client (DISCONNECT 0x98 Administrative action in MQTT 5.0)',
    params: byId,
    responses: { 204: { description: 'Disconnected' }, 404: { description: 'Not connected' } },
    handler: async (req, reply) => {
      // In a cluster, on whichever node the client is connected to.
      await admin.kickAnywhere(req.params.clientId);
      reply.code(204).send();
    },
  });
  subscriptionRoutes(table, admin);
  sessionRoutes(table, admin);
}

function subscriptionRoutes(table: RouteTable, admin: BrokerAdmin): void {
  table.add({
    method: 'GET',
    url: '/api/v1/subscriptions',
    tag: 'subscriptions',
    summary: 'List subscriptions',
    querystring: S.obj({
      clientId: S.str('Client id, exactly', { minLength: 1 }),
      filter: S.str('Part of the topic filter', { minLength: 1 }),
      topic: S.str('Only subscriptions matching this topic name', { minLength: 1 }),
      qos: S.qos,
      ...S.pageQuery,
    }),
    responses: { 200: { description: 'A page of subscriptions', schema: S.page(S.subscription) } },
    handler: (req) => {
      const q = req.query as PageQuery & {
        clientId?: string;
        filter?: string;
        topic?: string;
        qos?: number;
      };
      const filter = { clientId: q.clientId, filter: q.filter, topic: q.topic, qos: q.qos };
      return admin.listSubscriptions(filter, pageOf(q));
    },
  });
  table.add({
    method: 'POST',
    url: '/api/v1/clients/:clientId/subscriptions',
    tag: 'subscriptions',
    summary: "Subscribe on a client's behalf (its session gets the messages)",
    params: byId,
    body: S.obj(
      {
        topicFilter: S.str('Topic filter, $share/group/… allowed', { minLength: 1 }),
        qos: S.qos,
        noLocal: S.bool(),
        retainAsPublished: S.bool(),
        retainHandling: { type: 'integer', enum: [0, 1, 2] },
      },
      ['topicFilter', 'qos'],
    ),
    responses: {
      201: { description: 'Subscribed', schema: S.subscription },
      404: { description: 'No such client' },
      409: { description: 'Subscription limit reached' },
    },
    handler: (req, reply) => {
      const { topicFilter, ...options } = req.body as SubscribeRequest & { topicFilter: string };
      reply.code(201);
      return admin.subscribeFor(req.params.clientId, topicFilter, options);
    },
  });
  table.add({
    method: 'DELETE',
    url: '/api/v1/clients/:clientId/subscriptions',
    tag: 'subscriptions',
    summary: "Unsubscribe on a client's behalf",
    params: byId,
    querystring: S.obj({ topicFilter: S.str('The filter as subscribed', { minLength: 1 }) }, [
      'topicFilter',
    ]),
    responses: {
      204: { description: 'Unsubscribed' },
      404: { description: 'No such client or subscription' },
    },
    handler: (req, reply) => {
      admin.unsubscribeFor(req.params.clientId, (req.query as { topicFilter: string }).topicFilter);
      reply.code(204).send();
    },
  });
}

function sessionRoutes(table: RouteTable, admin: BrokerAdmin): void {
  table.add({
    method: 'GET',
    url: '/api/v1/sessions',
    tag: 'sessions',
    summary: 'Sessions of offline clients',
    querystring: S.obj({
      clientId: S.str('Part of the client id', { minLength: 1 }),
      ...S.pageQuery,
    }),
    responses: { 200: { description: 'A page of sessions', schema: S.page(S.session) } },
    handler: (req) => {
      const q = req.query as PageQuery & { clientId?: string };
      return admin.listSessions({ clientId: q.clientId }, pageOf(q));
    },
  });
  table.add({
    method: 'DELETE',
    url: '/api/v1/sessions/:clientId',
    tag: 'sessions',
    summary: "Remove an offline client's session (subscriptions and queued messages)",
    params: byId,
    responses: {
      204: { description: 'Removed' },
      404: { description: 'No such session' },
      409: { description: 'The client is connected' },
    },
    handler: (req, reply) => {
      admin.removeSession(req.params.clientId);
      reply.code(204).send();
    },
  });
}
