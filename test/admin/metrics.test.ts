// Prometheus metrics checked by promtool (Debian's prometheus package), their values against
// traffic the test makes, the JSON twin and the history behind the dashboard's charts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { startHarness, waitFor } from './helpers.js';

/** An auth source's figures (the sources themselves are tested in test/auth). */
const LDAP_FIGURES = {
  name: 'ldap',
  onError: 'ignore' as const,
  requests: 9,
  allow: 5,
  deny: 2,
  errors: 1,
  cacheHits: 4,
  queries: 5,
  latencySecondsSum: 0.5,
  latencySecondsMax: 0.25,
};

const h = await startHarness({
  authenticate: (request) => request.username !== 'intruder',
  authorizePublish: (_client, topic) => !topic.startsWith('forbidden/'),
  http: { metrics: { sampleInterval: 0.1 }, authSources: () => [LDAP_FIGURES] },
});

/** Runs `promtool check metrics` on the text; resolves with its exit code and output. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`promtool is needed (apt-get install prometheus): ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(text);
  });
}

/** Sample values by series, e.g. 'culex_messages_received_total{qos="1"}'. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(): Promise<{ text: string; values: Map<string, number>; type: string }> {
  const res = await h.api('GET', '/metrics');
  assert.equal(res.status, 200);
  return { text: res.text, values: samples(res.text), type: res.headers.get('content-type')! };
}

describe('Prometheus metrics', () => {
  it('show each auth source by label: requests, decisions, errors, cache hits, round trips and their time', async () => {
    const { values } = await scrape();
    const expected: [string, number][] = [
      ['culex_auth_source_requests_total', 9],
      ['culex_auth_source_allow_total', 5],
      ['culex_auth_source_deny_total', 2],
      ['culex_auth_source_errors_total', 1],
      ['culex_auth_source_cache_hits_total', 4],
      ['culex_auth_source_queries_total', 5],
      ['culex_auth_source_query_seconds_total', 0.5],
      ['culex_auth_source_latency_max_seconds', 0.25],
    ];
    for (const [name, value] of expected)
      assert.equal(values.get(`${name}{source="ldap"}`), value, name);
    const { body } = await h.api('GET', '/api/v1/metrics');
    assert.deepEqual(body.authSources, [LDAP_FIGURES]);
  });

  it('pass promtool check metrics, with conventional names and units', async () => {
    await h.connect('lint-me');
    const { text, type } = await scrape();
    assert.match(type, /^text\/plain; version=0\.0\.4/);
    const { code, output } = await promtool(text);
    assert.equal(code, 0, output);
    assert.equal(output.trim(), '', `promtool found problems:\n${output}`);
    for (const name of [
      'culex_connections',
      'culex_sessions',
      'culex_subscriptions',
      'culex_retained_messages',
      'culex_messages_received_total',
      'culex_messages_sent_total',
      'culex_messages_received_bytes_total',
      'culex_messages_sent_bytes_total',
      'culex_messages_dropped_total',
      'culex_auth_failures_total',
      'culex_acl_denials_total',
      'culex_queued_messages',
      'culex_event_loop_lag_seconds',
      'culex_heap_used_bytes',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
    ])
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  });

  it('count what passes through the broker', async () => {
    const before = (await scrape()).values;
    const sub = await h.connect('m-sub');
    await sub.subscribeAsync('m/#', { qos: 1 });
    const pub = await h.connect('m-pub');
    for (let i = 0; i < 3; i++) await pub.publishAsync('m/a', 'abcd', { qos: 1 });
    await pub.publishAsync('m/b', 'xy', { qos: 0, retain: true });
    await pub.publishAsync('forbidden/x', 'no', { qos: 1 });
    const refused = await mqtt
      .connectAsync(h.mqttUrl, { clientId: 'i', username: 'intruder', reconnectPeriod: 0 })
      .then(
        (c) => c.endAsync(true).then(() => false),
        () => true,
      );
    assert.ok(refused);
    await waitFor(async () => {
      const v = (await scrape()).values;
      return (
        v.get('culex_messages_sent_total{qos="0"}')! >
        before.get('culex_messages_sent_total{qos="0"}')!
      );
    });
    const after = (await scrape()).values;
    const delta = (series: string) => after.get(series)! - before.get(series)!;
    assert.equal(delta('culex_messages_received_total{qos="1"}'), 3);
    assert.equal(delta('culex_messages_received_total{qos="0"}'), 1);
    assert.equal(delta('culex_messages_received_bytes_total{qos="1"}'), 12);
    assert.equal(delta('culex_messages_sent_total{qos="1"}'), 3);
    assert.equal(delta('culex_messages_sent_bytes_total{qos="0"}'), 2);
    assert.equal(delta('culex_acl_denials_total'), 1);
    assert.equal(delta('culex_auth_failures_total'), 1);
    assert.equal(delta('culex_connections_total'), 2);
    assert.ok(delta('culex_network_received_bytes_total') > 0);
    assert.equal(after.get('culex_clients_connected'), h.server.broker.core.clients.size);
    assert.equal(after.get('culex_subscriptions'), h.server.broker.core.router.subscriptionCount);
    assert.ok(after.get('culex_retained_messages')! >= 1);
    assert.ok(after.get('culex_heap_used_bytes')! > 1e6);
    assert.ok(after.get('culex_uptime_seconds')! >= 0);
  });

  it('count HTTP credential refusals', async () => {
    const before = (await scrape()).values.get('culex_http_auth_failures_total')!;
    await h.api('GET', '/api/v1/status', undefined, 'bad');
    await h.api('GET', '/api/v1/status', undefined, null);
    const after = (await scrape()).values.get('culex_http_auth_failures_total')!;
    assert.equal(after - before, 2);
  });

  it('show queue depths of offline sessions', async () => {
    const c = await h.connect('q-1', {
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
    });
    await c.subscribeAsync('q/1', { qos: 1 });
    await c.endAsync();
    for (let i = 0; i < 4; i++) h.server.publish('q/1', 'x', { qos: 1 });
    const v = (await scrape()).values;
    assert.ok(v.get('culex_queued_messages')! >= 4);
    assert.ok(v.get('culex_queue_depth_max')! >= 4);
  });
});

describe('JSON metrics and history', () => {
  it('gives the same figures as JSON', async () => {
    const json = (await h.api('GET', '/api/v1/metrics')).body;
    const prom = (await scrape()).values;
    assert.equal(json.messages.received['1'], prom.get('culex_messages_received_total{qos="1"}'));
    assert.equal(json.messages.sent['0'], prom.get('culex_messages_sent_total{qos="0"}'));
    assert.equal(json.aclDenials, prom.get('culex_acl_denials_total'));
    assert.equal(json.sessions, prom.get('culex_sessions'));
    assert.deepEqual(Object.keys(json.messages.dropped).sort(), [
      'expired',
      'noSubscribers',
      'queueFull',
      'slowConsumer',
      'tooLarge',
    ]);
    assert.equal(typeof json.eventLoopLagSeconds, 'number');
  });

  it('keeps a history of connections and message rates', async () => {
    const pub = await h.connect('hist');
    const stop = setInterval(() => pub.publish('h/x', 'x'), 5);
    try {
      const samples = await waitFor(async () => {
        const res = await h.api('GET', '/api/v1/metrics/history');
        const s = res.body.samples as { messagesInRate: number; connections: number }[];
        return s.some((x) => x.messagesInRate > 10) ? s : undefined;
      });
      assert.ok(samples.length >= 2);
      assert.ok(samples.at(-1)!.connections >= 1);
    } finally {
      clearInterval(stop);
    }
    const res = await h.api('GET', '/api/v1/metrics/history');
    assert.equal(res.body.intervalSeconds, 0.1);
    const ts = res.body.samples.map((s: { ts: number }) => s.ts);
    assert.deepEqual(
      ts,
      [...ts].sort((a, b) => a - b),
    );
  });
});
