// What a node keeps in JetStream, opened once at start: the buckets (node names, client
// claims, sessions, wills, retained messages, bans, durable filters) and the redeliveries
// stream, each behind the part that uses it. The node name is registered first: a name in
// use by a running node refuses the start.
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import { ClusterBans } from './bans.js';
import { ClientClaims } from './claims.js';
import { DurableInterest } from './durable-interest.js';
import { registerNodeName } from './node-name.js';
import { NodeWatch } from './node-watch.js';
import type { ClusterOptions } from './options.js';
import { RedeliveryStream } from './redelivery-stream.js';
import { KvRetainedStore } from './retained-kv.js';
import { KvSessionStore } from './session-store.js';
import { encodeToken } from './subject.js';
import { ClusterWills } from './wills.js';

export interface ClusterParts {
  claims: ClientClaims;
  wills: ClusterWills;
  watch: NodeWatch;
  retained: KvRetainedStore;
  sessions: KvSessionStore;
  durable: DurableInterest;
  redeliveries: RedeliveryStream;
  bans: ClusterBans;
}

/** A node's subject for a request to it: `<prefix>.n.<node>.<verb>`. */
export function nodeSubject(options: ClusterOptions, node: string, verb: string): string {
  return `${options.prefix}.n.${encodeToken(node)}.${verb}`;
}

export async function openParts(
  nc: NatsConnection,
  options: ClusterOptions,
  log: Logger,
): Promise<ClusterParts> {
  const kvm = new Kvm(nc);
  // `leader`: reads go to the stream's leader. A direct get may be answered by a replica that
  // lags: a session copy read so could be taken twice. Other reads are checked by the
  // compare-and-set that follows them, and a direct get answers while a lost server's streams
  // elect new leaders (a CONNECT waits for the clients bucket).
  const bucket = (name: string, leader = false) =>
    kvm.create(`${options.prefix}_${name}`, {
      replicas: options.replicas,
      history: 1,
      allow_direct: !leader,
    });
  const node = (name: string, verb: string) => nodeSubject(options, name, verb);
  const nodes = await bucket('nodes');
  await registerNodeName(nc, nodes, options.nodeName, node(options.nodeName, 'ping'));
  const wills = new ClusterWills(await bucket('wills'), options.nodeName, log);
  const sessions = new KvSessionStore(await bucket('sessions', true), options.nodeName);
  const watch = new NodeWatch(nc, nodes, options.nodeName, (n) => node(n, 'ping'), options, log);
  const claims = new ClientClaims(
    nc,
    await bucket('clients'),
    options.nodeName,
    node,
    {
      movedFrom: (previous, clientId) => wills.drop(clientId, previous),
      // The previous node is gone: what it kept in the cluster is still there.
      fromLostNode: async (previous, clientId) => {
        await watch.suspect(previous);
        return sessions.takeFrom(previous, clientId);
      },
      storedBy: (clientId) => sessions.storedBy(clientId),
    },
    log,
  );
  const retained = new KvRetainedStore(await bucket('retained'), log);
  const bans = new ClusterBans(await bucket('bans'), log);
  const durable = new DurableInterest(
    await bucket('durable'),
    options.nodeName,
    () => nc.flush(),
    log,
  );
  // Before the broker restores its sessions, which announce their filters again.
  await durable.start();
  const redeliveries = await RedeliveryStream.open(nc, options.prefix, options.replicas);
  return { claims, wills, watch, retained, sessions, durable, redeliveries, bans };
}
