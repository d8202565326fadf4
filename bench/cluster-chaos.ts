// `npm run bench:chaos -- [--seconds S] [--seed N] [--nodes 3] [--rate R]`: the cluster chaos
// check. A 3-server NATS cluster and Culex nodes (--store lmdb, sessions in the cluster);
// persistent subscribers and publishers spread over the nodes, numbered QoS 1 and QoS 2
// messages crossing between nodes; meanwhile a random node is SIGKILLed and restarted (same
// name, same data directory) at seeded random times. Then the publishers' in-flight messages
// drain and every acknowledged message is looked for. Per QoS it prints published,
// acknowledged, received, lost (acknowledged, never received) and duplicated, then one JSON
// line; exit 1 if an acknowledged message was lost or a QoS 2 message arrived twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  connected,
  makeClients,
  type Publisher,
  type Qos,
  type Subscriber,
  type Target,
} from './chaos-clients.js';
import { CulexNodes } from './chaos-processes.js';
import { NatsServers } from './nats-servers.js';
import { type Kill, summarize } from './chaos-report.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: '3' },
    nats: { type: 'string', default: '3' },
    rate: { type: 'string', default: '40' },
    'max-in-flight': { type: 'string', default: '20' },
    'max-down-ms': { type: 'string', default: '3000' },
    'drain-seconds': { type: 'string', default: '25' },
  },
});
const seconds = Number(values.seconds);
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
const nodeCount = Number(values.nodes);
const natsCount = Number(values.nats);
/** Messages per second per publisher. */
const rate = Number(values.rate);
const maxInFlight = Number(values['max-in-flight']);
/** A killed node stays down 300 ms to this long before it is restarted. */
const maxDownMs = Number(values['max-down-ms']);
/** Bound of the drain: in-flight messages acknowledged, then acknowledged ones received. */
const drainMs = Number(values['drain-seconds']) * 1000;
if (nodeCount < 2 || !(seconds > 0) || !(rate > 0) || !(maxDownMs >= 300)) {
  console.error('bench:chaos: needs --nodes >= 2, --seconds > 0, --rate > 0, --max-down-ms >= 300');
  process.exit(2);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so one seed replays one schedule of kills. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(seed);
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo));

const t0 = Date.now();
const since = () => Date.now() - t0;
const say = (line: string) => console.log(`[${(since() / 1000).toFixed(1)} s] ${line}`);

/** Waits until every subscriber has a probe from every publisher aimed at it (QoS 0). */
async function propagated(targets: Target[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  const want = (t: Target) => `probe ${t.publisher.clientId} ${t.subscriber.clientId}`;
  for (;;) {
    const missing = targets.filter((t) => !t.subscriber.probes.has(want(t)));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`subscriptions not seen across nodes: ${missing.map(want).join(', ')}`);
    for (const t of missing) t.publisher.probe(t.topics[0]!, t.subscriber.clientId);
    await sleep(100);
  }
}

/** Publishes at `rate` per publisher until `stop()` says so, over the targets in turn. */
async function load(publishers: Publisher[], targets: Target[], stop: () => boolean) {
  const interval = 1000 / rate;
  const next = new Map(publishers.map((p) => [p, 0]));
  while (!stop()) {
    for (const publisher of publishers) {
      const mine = targets.filter((t) => t.publisher === publisher);
      const n = next.get(publisher)!;
      const target = mine[n % mine.length]!;
      // Every target gets QoS 1 and QoS 2 in turn.
      const qos: Qos = Math.floor(n / mine.length) % 2 === 0 ? 1 : 2;
      if (publisher.publish(target.topics[qos - 1]!, qos, target.subscriber.clientId))
        next.set(publisher, n + 1);
    }
    await sleep(interval);
  }
}

/** Kills a random running node at random times, restarting it a moment later. */
async function chaos(nodes: CulexNodes, untilMs: number): Promise<Kill[]> {
  const kills: Kill[] = [];
  for (;;) {
    const wait = between(2_000, 6_000);
    const downMs = between(300, maxDownMs);
    if (since() + wait + downMs > untilMs) break;
    await sleep(wait);
    const victim = nodes.nodes[between(0, nodes.nodes.length)]!;
    const at = since();
    say(`SIGKILL ${victim.name} (pid ${victim.child?.pid}); back in ${downMs} ms`);
    await nodes.kill(victim);
    await sleep(downMs);
    const started = Date.now();
    await nodes.start(victim);
    const restartMs = Date.now() - started;
    say(`${victim.name} restarted (pid ${victim.child?.pid}, listening after ${restartMs} ms)`);
    kills.push({ node: victim.name, at, downMs, restartMs });
  }
  return kills;
}

/** Waits, bounded, until no publisher has anything in flight and all acked arrived. */
async function drain(publishers: Publisher[], subscribers: Subscriber[]): Promise<void> {
  const deadline = Date.now() + drainMs * 0.7;
  while (publishers.some((p) => p.pending > 0) && Date.now() < deadline) await sleep(100);
  for (const p of publishers.filter((p) => p.pending > 0))
    say(`${p.clientId}: ${p.pending} still in flight (connected: ${p.client.connected})`);
  const byId = new Map(subscribers.map((s) => [s.clientId, s]));
  const missing = () =>
    publishers.some((p) =>
      p.sent.some((m) => m.ackedAt !== undefined && !byId.get(m.subscriber)!.received.has(m.key)),
    );
  const last = Date.now() + drainMs * 0.3;
  while (missing() && Date.now() < last) await sleep(100);
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-chaos-'));
  let nats: NatsServers | undefined;
  let nodes: CulexNodes | undefined;
  let clients: { publishers: Publisher[]; subscribers: Subscriber[] } | undefined;
  const watchdog = setTimeout(
    () => {
      console.error('bench:chaos: over its time bound; stopping');
      process.exitCode = 3;
      Promise.all([nodes?.stop(), nats?.close()]).finally(() => process.exit(3));
    },
    (seconds + drainMs / 1000 + 90) * 1000,
  );
  try {
    say(`seed ${seed}, ${seconds} s of chaos, ${nodeCount} nodes, ${natsCount} NATS servers`);
    nats = await NatsServers.start(natsCount, { dir: join(dir, 'nats') });
    nodes = new CulexNodes(dir, nats.urls, {
      CULEX_CLUSTER_REPLICAS: String(Math.min(3, natsCount)),
      CULEX_CLUSTER_PREFIX: `chaos${process.pid}`,
      CULEX_CLUSTER_NODE_TIMEOUT_MS: '2000',
      CULEX_CLUSTER_HEARTBEAT_MS: '500',
    });
    for (let i = 1; i <= nodeCount; i++) await nodes.add(`n${i}`);
    say(`nodes ${nodes.nodes.map((n) => `${n.name}:${n.port}`).join(' ')} up`);
    const { publishers, subscribers, targets } = makeClients(
      nodes.nodes.map((n) => ({ name: n.name, port: n.port })),
      `chaos${process.pid}`,
      maxInFlight,
      since,
    );
    clients = { publishers, subscribers };
    for (const c of [...publishers, ...subscribers]) await connected(c.client, 10_000);
    for (const s of subscribers) await s.subscribed(10_000);
    await propagated(targets);
    say('subscriptions known on every node; load and kills start');

    const loadStart = since();
    let stopLoad = false;
    const loading = load(publishers, targets, () => stopLoad);
    const kills = await chaos(nodes, loadStart + seconds * 1000);
    while (since() < loadStart + seconds * 1000) await sleep(50);
    stopLoad = true;
    await loading;
    say('load stopped; draining');
    await drain(publishers, subscribers);
    const report = summarize({
      seed,
      seconds,
      kills,
      publishers,
      subscribers,
      nodes: nodes.nodes,
      natsServers: natsCount,
    });
    return report.ok ? 0 : 1;
  } catch (err) {
    console.error(`bench:chaos: ${err instanceof Error ? err.message : err}`);
    return 2;
  } finally {
    clearTimeout(watchdog);
    for (const c of [...(clients?.publishers ?? []), ...(clients?.subscribers ?? [])])
      c.client.end(true);
    await nodes?.stop();
    await nats?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exitCode = await main();
