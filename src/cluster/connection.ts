// The NATS connections of a node: how they are opened (servers, credentials, TLS, endless
// reconnection) and closed (drain, bounded: with NATS gone a drain would wait forever).
import { readFileSync } from 'node:fs';
import {
  type ConnectionOptions,
  credsAuthenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { ClusterOptions } from './options.js';

const CLOSE_MS = 2000;

export function connectionOptions(options: ClusterOptions): ConnectionOptions {
  const tls = options.tls && {
    caFile: options.tls.ca,
    certFile: options.tls.cert,
    keyFile: options.tls.key,
  };
  return {
    servers: options.servers,
    user: options.user,
    pass: options.password,
    token: options.token,
    authenticator: options.credsFile
      ? credsAuthenticator(readFileSync(options.credsFile))
      : undefined,
    tls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Otherwise every request (each KV write is one) builds two errors with stack traces up
    // front, in case it fails: a fifth of a node's CPU under durable QoS 1 load.
    noAsyncTraces: true,
  };
}

/** Drains (sends what is buffered) within a bound, then closes. */
export async function closeWithin(nc: NatsConnection, ms = CLOSE_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([nc.drain().catch(() => {}), late]);
  clearTimeout(timer);
  if (!nc.isClosed()) await nc.close().catch(() => {});
}
