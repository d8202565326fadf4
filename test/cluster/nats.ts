// One standalone nats-server with JetStream on free loopback ports, for tests that need NATS
// but not a cluster of NATS servers (harness.ts has that).
import { after, before } from 'node:test';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsServers } from '../../bench/nats-servers.js';

export interface StandaloneNats {
  url: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<StandaloneNats> {
  const nats = await NatsServers.start(1);
  return { url: nats.urls, stop: () => nats.close() };
}

/**
 * For a test file's NATS tests: a standalone nats-server started before them and stopped
 * after, with one connection to it.
 */
export function natsForTests(): { nc(): NatsConnection; url(): string } {
  let nats: StandaloneNats | undefined;
  let nc: NatsConnection | undefined;
  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });
  return { nc: () => nc!, url: () => nats!.url };
}

/** For a test file's KV tests: natsForTests, and a fresh bucket on each call (a store under
 * test starts empty). */
export function kvBuckets(name: string): () => Promise<KV> {
  const nats = natsForTests();
  let buckets = 0;
  return () => new Kvm(nats.nc()).create(`${name}_${process.pid}_${++buckets}`, { history: 1 });
}
