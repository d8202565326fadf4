// The cluster as one broker to operate: its nodes, as any node sees them.
import type { BrokerAdmin, ClusterNodes } from '../broker/admin.js';
import { HttpError, type RouteTable } from './routes.js';
import { clientsQuery, clientsRequest } from './api-clients.js';
import * as S from './schemas.js';

export function clusterRoutes(table: RouteTable, admin: BrokerAdmin): void {
  table.add({
    method: 'GET',
    url: '/api/v1/cluster/nodes',
    tag: 'system',
    summary: 'The nodes of the cluster with their state and figures (404 on a single node)',
    responses: {
      200: { description: 'This node, its link to NATS and every node', schema: S.clusterNodes },
      404: { description: 'This broker is not in a cluster' },
    },
    handler: (): ClusterNodes => {
      const cluster = admin.cluster();
      if (cluster === undefined) throw new HttpError(404, 'this broker is not in a cluster');
      return cluster;
    },
  });
  table.add({
    method: 'GET',
    url: '/api/v1/cluster/clients',
    tag: 'clients',
    summary: 'Clients of every node, each with its node, node by node (this node alone if single)',
    querystring: clientsQuery,
    responses: { 200: { description: 'A page of clients with their node' } },
    handler: (req) => {
      const { filter, sort, page } = clientsRequest(req.query);
      return admin.listClusterClients(filter, sort, page);
    },
  });
}
