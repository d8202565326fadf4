// Micro benchmark of the topic layer: `npx tsc -p tsconfig.json && node dist/bench/topic.js`.
// Prints one table row per case; a script, never a timed test.
import { SubscriptionIndex, topicMatches, validateTopicFilter } from '../src/topic/index.js';
import { measureRoundRobin } from './round-robin.js';

const SUBSCRIPTIONS = 100_000;
const TOPICS = 10_000;
const RUN_MS = Number(process.env.BENCH_MS ?? 1000);

/** Deterministic pseudo-random numbers (mulberry32) so runs compare. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const next = random(42);
const pick = (n: number) => Math.floor(next() * n);

/** Fleet-shaped filters: mostly exact, some '+' per site, a few '#' per region. */
function fleetFilter(i: number): string {
  const region = `r${i % 20}`;
  const site = `s${i % 500}`;
  const device = `d${i}`;
  if (i % 10 === 0) return `fleet/${region}/+/${device}/status`;
  if (i % 100 === 1) return `fleet/${region}/${site}/#`;
  if (i % 1000 === 2) return `+/${region}/+/+/telemetry`;
  return `fleet/${region}/${site}/${device}/telemetry`;
}

function fleetTopic(): string {
  const i = pick(SUBSCRIPTIONS);
  const kind = next() < 0.8 ? 'telemetry' : 'status';
  return `fleet/r${i % 20}/s${i % 500}/d${i}/${kind}`;
}

interface Row {
  name: string;
  opsPerSecond: number;
  note: string;
}

/** `op` over `inputs` round-robin for RUN_MS: operations per second. */
const measure = <T>(inputs: readonly T[], op: (input: T) => unknown) =>
  measureRoundRobin(inputs, op, RUN_MS);

function buildIndex(cacheSize: number): { index: SubscriptionIndex<number>; ms: number } {
  const index = new SubscriptionIndex<number>({ cacheSize });
  const start = performance.now();
  for (let i = 0; i < SUBSCRIPTIONS; i++) index.add(fleetFilter(i), `client${i}`, i);
  return { index, ms: performance.now() - start };
}

function main(): void {
  const topics = Array.from({ length: TOPICS }, fleetTopic);
  const filters = Array.from({ length: SUBSCRIPTIONS }, (_, i) => fleetFilter(i));
  const uncached = buildIndex(0);
  const rows = [
    { name: 'add (build index)', opsPerSecond: SUBSCRIPTIONS / (uncached.ms / 1000), note: '' },
    ...matchRows(uncached.index, topics),
    wildcardHeavy(topics),
    {
      name: 'brute force topicMatches',
      opsPerSecond: measure(topics.slice(0, 20), (t) => filters.filter((f) => topicMatches(f, t))),
      note: `linear scan of ${SUBSCRIPTIONS} filters, for scale`,
    },
    pairRow('topicMatches (one pair)', filters, (f) => topicMatches(f, topics[0]!)),
    pairRow('validateTopicFilter', filters, (f) => validateTopicFilter(f)),
    removeAll(uncached.index),
  ];
  print(rows);
}

/** Fleet topics against the fleet filters, without the cache and with it. */
function matchRows(uncached: SubscriptionIndex<number>, topics: readonly string[]): Row[] {
  const cached = buildIndex(4096).index;
  const matched = topics.reduce((sum, t) => sum + uncached.match(t).length, 0) / topics.length;
  const hot = topics.slice(0, 1000);
  return [
    {
      name: 'match, no cache',
      opsPerSecond: measure(topics, (t) => uncached.match(t)),
      note: `${topics.length} distinct topics, ${matched.toFixed(2)} matches/topic`,
    },
    {
      name: 'match, cache hits',
      opsPerSecond: measure(hot, (t) => cached.match(t)),
      note: `${hot.length} hot topics, cache 4096`,
    },
    {
      // Round-robin over more topics than the cache holds: every lookup misses (FIFO worst case).
      name: 'match, cache churn',
      opsPerSecond: measure(topics, (t) => cached.match(t)),
      note: `${topics.length} topics cycled through a 4096 cache`,
    },
  ];
}

function pairRow(name: string, filters: readonly string[], op: (filter: string) => unknown): Row {
  return { name, opsPerSecond: measure(filters.slice(0, 1000), op), note: '' };
}

/** Every subscription a wildcard: 100k filters over 1,000 sites, many matching each topic. */
function wildcardHeavy(topics: readonly string[]): Row {
  const index = new SubscriptionIndex<number>({ cacheSize: 0 });
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const shape = i % 4;
    const site = `s${i % 500}`;
    const filter =
      shape === 0
        ? `fleet/+/${site}/#`
        : shape === 1
          ? `fleet/r${i % 20}/+/+/telemetry`
          : shape === 2
            ? `fleet/+/${site}/+/+`
            : `fleet/r${i % 20}/${site}/d${i}/+`;
    index.add(filter, `client${i}`, i);
  }
  const matched = topics.reduce((sum, t) => sum + index.match(t).length, 0) / topics.length;
  const opsPerSecond = measure(topics, (t) => index.match(t));
  return {
    name: 'match, wildcard heavy, no cache',
    opsPerSecond,
    note: `${matched.toFixed(1)} matches/topic`,
  };
}

function removeAll(index: SubscriptionIndex<number>): Row {
  const start = performance.now();
  for (let i = 0; i < SUBSCRIPTIONS; i++) index.remove(fleetFilter(i), `client${i}`);
  const ms = performance.now() - start;
  return {
    name: 'remove (empty the index)',
    opsPerSecond: SUBSCRIPTIONS / (ms / 1000),
    note: `size after: ${index.size}`,
  };
}

function print(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'case'.padEnd(width)}  ${'ops/s'.padStart(12)}  note`);
  for (const row of rows) {
    const ops = Math.round(row.opsPerSecond).toLocaleString('en-US').padStart(12);
    console.log(`${row.name.padEnd(width)}  ${ops}  ${row.note}`);
  }
}

main();
