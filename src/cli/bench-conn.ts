// `culex bench conn`: opens many connections, at most --concurrency in progress at once, and
// reports the connect rate and connect latency (TCP handshake to CONNACK).
import { MqttClient } from '../client/index.js';
import { type BenchFlags, brokerUrl, clientOptions, sleep } from './bench.js';
import { type Counters, Histogram, Reporter, formatSummary } from './bench-stats.js';

interface ConnFlags extends BenchFlags {
  hold: number;
}

export async function runConn(flags: ConnFlags): Promise<void> {
  const counters: Counters = { done: 0, connected: 0, errors: 0 };
  const latency = new Histogram();
  const reporter = new Reporter('conn', counters, flags.count, 0, flags.quiet ?? false);
  const errors = new Set<string>();
  const url = brokerUrl(flags);
  const clients: MqttClient[] = [];
  let next = 0;
  const started = performance.now();
  let finished = started;
  const worker = async () => {
    while (next < flags.count) {
      const client = new MqttClient(url, clientOptions(flags, next++));
      const begin = performance.now();
      try {
        await client.start();
        finished = performance.now();
        latency.record((finished - begin) * 1000);
        clients.push(client);
        counters.done++;
        counters.connected++;
        client.on('offline', () => counters.connected--);
      } catch (error) {
        counters.errors++;
        errors.add(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(flags.concurrency, flags.count) }, worker));
  const seconds = (finished - started) / 1000;
  if (flags.hold > 0) await sleep(flags.hold * 1000);
  reporter.stop();
  await Promise.all(clients.map((c) => c.end({ force: true })));
  const rate = counters.done / Math.max(seconds, 0.001);
  if (flags.json) {
    const json = {
      scenario: 'conn',
      clients: flags.count,
      connected: counters.done,
      rate: Math.round(rate),
      seconds,
      errors: counters.errors,
      latencyUs: latency.summary(),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    const lines: [string, string | number][] = [
      [
        'connections',
        `${counters.done.toLocaleString('en')} of ${flags.count.toLocaleString('en')}`,
      ],
      [
        'connect rate',
        `${Math.round(rate).toLocaleString('en')} conn/s over ${seconds.toFixed(2)} s`,
      ],
      ['errors', counters.errors],
    ];
    process.stdout.write(
      formatSummary(`conn: concurrency ${flags.concurrency}`, lines, {
        label: 'connect',
        histogram: latency,
      }),
    );
  }
  for (const error of [...errors].slice(0, 5)) process.stderr.write(`${error}\n`);
  if (counters.done < flags.count) process.exitCode = 1;
}
