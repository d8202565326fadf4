// `culex bench pub|sub|conn` end to end against Mosquitto, small and bounded: the numbers
// they print must add up (every message published is counted, received and timed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type TestBroker, brokerKinds, startBroker } from '../client/brokers.js';

const entry = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function culex(
  args: string[],
  ms = 20_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** Starts `culex bench sub` on topic/# and gives it a second to subscribe; `done` is its result. */
async function benchSub(port: string, qos: string, topic: string, clients = '1') {
  const done = culex([
    'bench',
    'sub',
    '-p',
    port,
    '-q',
    qos,
    '-c',
    clients,
    '-t',
    `${topic}/#`,
    '-d',
    '15',
    '--idle',
    '1',
    '--json',
  ]);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { done };
}

describe('culex bench', () => {
  let broker: TestBroker;
  let port: string;
  before(async () => {
    broker = await startBroker('mosquitto');
    port = String(broker.port);
  });
  after(() => broker.stop());

  it('conn opens every connection and reports rate and connect latency', async () => {
    const result = await culex([
      'bench',
      'conn',
      '-p',
      port,
      '-c',
      '200',
      '--concurrency',
      '16',
      '--json',
    ]);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.connected, 200);
    assert.equal(summary.errors, 0);
    assert.ok(summary.rate > 0);
    assert.ok(summary.latencyUs.p50 > 0 && summary.latencyUs.p50 <= summary.latencyUs.max);
    assert.match(result.stderr, /conn: rate [\d,]+\/s, total 200, connected 200\/200, errors 0/);
  });

  it('sub counts every QoS 1 message of pub, in sequence, with end-to-end latency', async () => {
    const topic = `bench-test/${process.pid}`;
    const sub = await benchSub(port, '1', topic);
    const pub = await culex([
      'bench',
      'pub',
      '-p',
      port,
      '-q',
      '1',
      '-c',
      '4',
      '-t',
      `${topic}/%i`,
      '-n',
      '500',
      '-r',
      '4000',
      '--json',
    ]);
    assert.equal(pub.status, 0, pub.stderr);
    const published = JSON.parse(pub.stdout);
    assert.equal(published.acknowledged, 2_000);
    assert.ok(published.latencyUs.p50 > 0);
    const received = JSON.parse((await sub.done).stdout);
    assert.equal(received.received, 2_000);
    assert.equal(received.gaps, 0);
    assert.equal(received.duplicates, 0);
    assert.ok(received.latencyUs.max > 0);
  });

  it('sub -c 3: each subscriber gets its own copy, none counted as a duplicate', async () => {
    const topic = `bench-fanout/${process.pid}`;
    const sub = await benchSub(port, '1', topic, '3');
    const args = ['bench', 'pub', '-p', port, '-q', '1', '-c', '2', '-t', `${topic}/%i`];
    const pub = await culex([...args, '-n', '200', '-r', '2000', '--json']);
    assert.equal(pub.status, 0, pub.stderr);
    const received = JSON.parse((await sub.done).stdout);
    assert.equal(received.received, 3 * 400);
    assert.equal(received.duplicates, 0);
    assert.equal(received.gaps, 0);
  });

  it('pub -d 3 reports the real duration, and the rate over all but the warm-up', async () => {
    const result = await culex(['bench', 'pub', '-p', port, '-r', '1000', '-d', '3']);
    assert.equal(result.status, 0, result.stderr);
    const duration = Number(/duration\s+([\d.]+) s/.exec(result.stdout)?.[1]);
    assert.ok(duration >= 2.9 && duration <= 3.5, result.stdout);
    const window = Number(/over ([\d.]+) s after 1 s of warm-up/.exec(result.stdout)?.[1]);
    assert.ok(window >= 1.9 && window <= 2.5, result.stdout);
  });

  it('pub paces to the target rate', async () => {
    const result = await culex([
      'bench',
      'pub',
      '-p',
      port,
      '-c',
      '2',
      '-r',
      '2000',
      '-d',
      '3',
      '--warmup',
      '0',
      '--json',
    ]);
    const summary = JSON.parse(result.stdout);
    assert.ok(
      summary.sent >= 4_000 && summary.sent <= 6_600,
      `sent ${summary.sent} in 3 s at 2000/s`,
    );
  });

  it('exits 2 on bad usage', async () => {
    assert.equal((await culex(['bench', 'pub', '-q', '7'])).status, 2);
    assert.equal((await culex(['bench', 'nope'])).status, 2);
  });
});

// Closed loop (-E): `bench sub` reports its progress, `bench pub` keeps at most E messages per
// publisher between publish and delivery. Against the embedded Culex broker.
describe('culex bench pub -E (closed loop)', async () => {
  const available = (await brokerKinds()).includes('culex');
  let broker: TestBroker;
  let port: string;
  before(async () => {
    if (!available) return;
    broker = await startBroker('culex');
    port = String(broker.port);
  });
  after(() => broker?.stop());

  it('without a subscriber reporting, publishing is not held back', {
    skip: !available,
  }, async () => {
    const topic = `bench-e2e/${process.pid}/alone`;
    const pub = await culex([
      'bench',
      'pub',
      '-p',
      port,
      '-t',
      `${topic}/%i`,
      '-n',
      '5000',
      '-E',
      '100',
      '--json',
    ]);
    assert.equal(pub.status, 0, pub.stderr);
    const published = JSON.parse(pub.stdout);
    assert.equal(published.sent, 5_000);
    assert.equal(published.e2eResets, 0);
  });

  for (const qos of ['0', '1']) {
    it(`QoS ${qos}: every message arrives, in sequence, and the summary shows the window`, {
      skip: !available,
    }, async () => {
      const topic = `bench-e2e/${process.pid}/${qos}`;
      const sub = await benchSub(port, qos, topic);
      const pub = await culex([
        'bench',
        'pub',
        '-p',
        port,
        '-q',
        qos,
        '-c',
        '3',
        '-t',
        `${topic}/%i`,
        '-n',
        '3000',
        '-E',
        '200',
        '--json',
      ]);
      assert.equal(pub.status, 0, pub.stderr);
      const published = JSON.parse(pub.stdout);
      assert.equal(published[qos === '0' ? 'sent' : 'acknowledged'], 9_000);
      assert.equal(published.e2eWindow, 200);
      assert.equal(typeof published.e2eResets, 'number');
      const received = JSON.parse((await sub.done).stdout);
      assert.equal(received.received, 9_000);
      assert.equal(received.gaps, 0);
      assert.equal(received.duplicates, 0);
    });
  }
});
