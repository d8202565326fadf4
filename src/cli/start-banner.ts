// What `culex start` prints on stderr once it listens: version, store and data directory, the
// listeners, and whether other machines can reach it. Like Mosquitto 2, with no host set it
// listens on this machine only and says how to open it up; a broker open to the network with
// no authentication configured says that too.
import { resolve } from 'node:path';
import { CULEX_VERSION } from '../broker/sys.js';
import type { CulexConfig, ListenerConfig } from '../config.js';

export interface BannerListener {
  type: string;
  host: string;
  port: number;
}

export const LOCAL_ONLY_HINT =
  'Local only: clients on this machine only. To accept other machines, listen on all ' +
  'interfaces (--host 0.0.0.0, or host: in the config) and set up auth (README: Security).';

export const ANONYMOUS_HINT =
  'Warning: anonymous clients from other machines are accepted. Configure auth (passwordFile, ' +
  'jwt, …), or set auth.allowAnonymous: true to say that is intended.';

const isLoopback = (host: string) =>
  host === '::1' || host === 'localhost' || host.startsWith('127.');

export function startBanner(
  config: CulexConfig,
  listening: readonly BannerListener[],
  configured: readonly ListenerConfig[],
  admin: { host: string; port: number } | undefined,
): string {
  const store =
    config.store === 'lmdb' ? `lmdb, data directory ${resolve(config.dataDir)}` : config.store;
  const lines = [
    `Culex ${CULEX_VERSION} MQTT broker (3.1, 3.1.1, 5.0), store: ${store}`,
    ...(config.cluster
      ? [`Cluster node ${config.cluster.nodeName} on ${config.cluster.servers.join(',')}`]
      : []),
    'Listening on:',
    ...listening.map((l) => {
      const ws = l.type === 'ws' || l.type === 'wss';
      const path = ws ? (configured.find((c) => c.type === l.type)?.path ?? '') : '';
      return `  ${l.type.padEnd(4)} ${l.host}:${l.port}${path}`;
    }),
  ];
  if (admin) lines.push(`  http ${admin.host}:${admin.port} (API, /metrics, dashboard)`);
  if (listening.every((l) => isLoopback(l.host))) lines.push(LOCAL_ONLY_HINT);
  else if (Object.keys(config.auth).length === 0) lines.push(ANONYMOUS_HINT);
  return `${lines.join('\n')}\n`;
}
