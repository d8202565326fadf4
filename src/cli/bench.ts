// `culex bench pub|sub|conn`: load generation in the spirit of emqtt_bench. Many clients in
// one process, a target rate or as fast as possible, a live line per second (to stderr) and
// a final summary with latency percentiles (to stdout; --json for one JSON line).
import v8 from 'node:v8';
import { type Command, Option } from 'commander';
import { type ClientOptions, MqttClient, ProtocolVersion, type QoS } from '../client/index.js';
import { runConn } from './bench-conn.js';
import { FEEDBACK_TOPIC } from './bench-feedback.js';
import { runPub } from './bench-pub.js';
import { runSub } from './bench-sub.js';
import {
  exitOnUsageError,
  parseInteger,
  parseProtocolVersion,
  parseQoS,
  reportFailure,
} from './client-options.js';

export interface BenchFlags {
  host: string;
  port: number;
  url?: string;
  protocolVersion: ProtocolVersion;
  username?: string;
  pw?: string;
  count: number;
  qos: QoS;
  keepalive: number;
  duration: number;
  concurrency: number;
  prefix: string;
  json?: boolean;
  quiet?: boolean;
  warmup: number;
}

/** The broker URL for client `index`; %i in topics is replaced by the index elsewhere. */
export function brokerUrl(flags: BenchFlags): string {
  if (flags.url) return flags.url;
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  return `mqtt://${host}:${flags.port}`;
}

export function clientOptions(flags: BenchFlags, index: number): ClientOptions {
  return {
    protocolVersion: flags.protocolVersion,
    clientId: `${flags.prefix}${process.pid}-${index}`,
    keepAlive: flags.keepalive,
    username: flags.username,
    password: flags.pw,
    reconnect: false,
    connectTimeout: 30_000,
    // Load generators must not buffer without bound when the broker falls behind.
    maxQueuedMessages: 100_000,
  };
}

/** Opens `count` clients, at most `concurrency` connecting at once; failures are counted. */
export async function openClients(
  flags: BenchFlags,
  counters: { connected: number; errors: number },
  onError: (error: unknown) => void,
): Promise<MqttClient[]> {
  const url = brokerUrl(flags);
  const clients: MqttClient[] = new Array(flags.count);
  let next = 0;
  const worker = async () => {
    while (next < flags.count) {
      const index = next++;
      const client = new MqttClient(url, clientOptions(flags, index));
      try {
        await client.start();
        clients[index] = client;
        counters.connected++;
        client.on('offline', () => {
          counters.connected--;
          counters.errors++;
        });
      } catch (error) {
        counters.errors++;
        onError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(flags.concurrency, flags.count) }, worker));
  return clients.filter((c) => c !== undefined);
}

export const topicFor = (pattern: string, index: number) => pattern.replaceAll('%i', String(index));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function addBenchOptions(command: Command, defaultClients: number): Command {
  return command
    .helpOption('--help', 'show help')
    .option('-h, --host <host>', 'broker host', 'localhost')
    .option('-p, --port <port>', 'broker port', parseInteger(1, 65_535), 1883)
    .option('-L, --url <url>', 'broker URL (mqtt://, mqtts://, ws://, wss://) instead of -h/-p')
    .addOption(
      new Option('-V, --protocol-version <version>', 'MQTT version: 5, 311 or 31')
        .argParser(parseProtocolVersion)
        .default(ProtocolVersion.V311, '311'),
    )
    .option('-u, --username <username>', 'user name')
    .option('-P, --pw <password>', 'password')
    .option(
      '-c, --count <clients>',
      'number of clients',
      parseInteger(1, 1_000_000),
      defaultClients,
    )
    .option('-q, --qos <qos>', 'QoS', parseQoS, 0)
    .option('-k, --keepalive <seconds>', 'keep-alive', parseInteger(0, 65_535), 300)
    .option('-d, --duration <seconds>', 'run time (0: until interrupted)', parseInteger(0, 1e9), 10)
    .option('--concurrency <n>', 'connections in progress at once', parseInteger(1, 100_000), 64)
    .option('--prefix <prefix>', 'client identifier prefix', 'culex-bench-')
    .option(
      '--warmup <seconds>',
      'seconds excluded from the summary rate',
      parseInteger(0, 3_600),
      1,
    )
    .option('--json', 'print the summary as one JSON line')
    .option('--quiet', 'no live line');
}

/** Wraps a bench action: failures print "Error: ..." and exit 1. */
function action<F>(run: (flags: F) => Promise<void>) {
  return async (flags: F) => {
    // A load generator keeps thousands of messages in flight for a few ms each. V8's young
    // generation starts small, so they outlive two scavenges, get promoted, and old-space
    // collections then took half the CPU of a QoS 1 publisher (measured: 2.3 µs/msg, 1.0
    // with this). A larger minimum lets them die young. Effective from the next collection.
    v8.setFlagsFromString('--min-semi-space-size=8');
    try {
      await run(flags);
    } catch (error) {
      reportFailure(error);
    }
  };
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('load-test a broker: culex bench pub|sub|conn')
    .helpOption('--help', 'show help');
  exitOnUsageError(bench);

  const pub = addBenchOptions(bench.command('pub').description('publish from many clients'), 1)
    .option('-t, --topic <topic>', 'topic; %i is the client index', 'bench/%i')
    .option(
      '-s, --size <bytes>',
      'payload size (≥ 20: carries send time and sequence)',
      parseInteger(20, 268_435_455),
      64,
    )
    .option(
      '-r, --rate <msgs>',
      'total messages per second over all clients (0: as fast as possible)',
      parseInteger(0, 1e9),
      0,
    )
    .option(
      '-w, --inflight <n>',
      'QoS 1/2 messages in flight per client',
      parseInteger(1, 65_535),
      32,
    )
    .option(
      '--refill <n>',
      'unpaced QoS 1/2: refill the in-flight window once this many are free (default inflight/4)',
      parseInteger(1, 65_535),
    )
    .option(
      '-E, --e2e-window <n>',
      'unpaced, while `culex bench sub` reports: at most n messages per client published but ' +
        'not yet seen (default 10000/clients; 0: open loop)',
      parseInteger(0, 1e9),
    )
    .option('--feedback-topic <topic>', 'where `bench sub` reports its progress', FEEDBACK_TOPIC)
    .option(
      '-n, --limit <msgs>',
      'stop each client after this many messages (0: no limit)',
      parseInteger(0, 1e12),
      0,
    )
    .option('--retain', 'publish retained');
  exitOnUsageError(pub).action(action(runPub));

  const sub = addBenchOptions(bench.command('sub').description('subscribe from many clients'), 1)
    .option('-t, --topic <filter>', 'topic filter; %i is the client index', 'bench/#')
    .option(
      '--feedback-topic <topic>',
      'where to report progress for `bench pub -E`',
      FEEDBACK_TOPIC,
    )
    .option('--no-feedback', 'do not report progress (no closed loop for `bench pub -E`)')
    .option(
      '--idle <seconds>',
      'stop after this long without messages, once some came (0: never)',
      parseInteger(0, 3_600),
      0,
    );
  exitOnUsageError(sub).action(action(runSub));

  const conn = addBenchOptions(
    bench.command('conn').description('open many connections'),
    1_000,
  ).option(
    '--hold <seconds>',
    'keep the connections open this long after the last one connected',
    parseInteger(0, 1e9),
    0,
  );
  exitOnUsageError(conn).action(action(runConn));
}
