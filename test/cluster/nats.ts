// One standalone nats-server with JetStream on free loopback ports, for tests that need NATS
// but not a cluster of NATS servers (harness.ts has that).
import { NatsServers } from '../../bench/nats-servers.js';

export interface StandaloneNats {
  url: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<StandaloneNats> {
  const nats = await NatsServers.start(1);
  return { url: nats.urls, stop: () => nats.close() };
}
