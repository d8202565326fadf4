// The HTTP webhook connector and the delivery core (buffer, retries, drops) against a real
// Node http server on a free port.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Connector, createConnector } from '../../src/connectors/index.js';
import {
  Webhook,
  assertAllInOrder,
  outageUnderLoad,
  tempDir,
  testDeps,
  waitFor,
} from './harness.js';

let hook: Webhook;
const open: Connector[] = [];

before(async () => {
  hook = await Webhook.start();
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await hook.stop();
});

function http(extra: Record<string, unknown> = {}, deps = testDeps()): Connector {
  const connector = createConnector({ name: 'hook', type: 'http', url: hook.url, ...extra }, deps);
  open.push(connector);
  return connector;
}

/** A webhook answering with `answer` for `body`, stopped after it. */
async function withTarget(
  answer: Webhook['answer'],
  body: (target: Webhook) => Promise<void>,
): Promise<void> {
  const target = await Webhook.start();
  target.answer = answer;
  try {
    await body(target);
  } finally {
    await target.stop();
  }
}

const seqs = (target: Webhook) => target.accepted().map((b) => (b as { seq: number }).seq);

describe('http connector', { timeout: 60_000 }, () => {
  test('renders method, path, headers and body templates; status connected', async () => {
    hook.requests.length = 0;
    const connector = http({ headers: { authorization: 'Bearer t' } });
    const sink = connector.sink(
      {
        connector: 'hook',
        method: 'PUT',
        path: '/ingest/${clientid}',
        headers: { 'x-topic': '${topic}' },
        body: '{"t": ${payload.temp}, "c": "${clientid}"}',
      },
      'r1/0',
    );
    sink.push({ clientid: 'dev1', topic: 'sensors/1', payload: '{"temp": 31}' }, 'r1/sensors/1');
    await waitFor(() => sink.counters.success === 1, 5_000, 'delivery');
    const [request] = hook.requests;
    assert.equal(request!.method, 'PUT');
    assert.equal(request!.url, '/ingest/dev1');
    assert.equal(request!.headers.authorization, 'Bearer t');
    assert.equal(request!.headers['x-topic'], 'sensors/1');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request!.body), { t: 31, c: 'dev1' });
    assert.equal(connector.status(), 'connected');
    assert.equal(connector.counters.connects, 1);
  });

  test('batchSize > 1 posts one JSON array per batch, in order', async () => {
    hook.requests.length = 0;
    const sink = http().sink(
      { connector: 'hook', batchSize: 10, batchTimeMs: 50, headers: { 'Content-Type': 'text/x' } },
      'r2/0',
    );
    for (let seq = 0; seq < 25; seq++) sink.push({ seq }, 'r2/t');
    await waitFor(() => sink.counters.success === 25, 5_000, 'delivery');
    assert.deepEqual(
      hook.requests.map((r) => (JSON.parse(r.body) as unknown[]).length),
      [10, 10, 5],
    );
    assertAllInOrder(seqs(hook), 25);
    assert.equal(hook.requests[0]!.headers['content-type'], 'text/x');
  });

  test('only 2xx counts: 4xx is rejected at once, 5xx retried then given up', async () => {
    await withTarget(
      (r) => ({ status: r.url === '/bad' ? 400 : 503 }),
      async (target) => {
        const connector = http({ url: target.url });
        const bad = connector.sink({ connector: 'hook', path: '/bad' }, 'r3/0');
        const busy = connector.sink(
          { connector: 'hook', path: '/busy', maxRetries: 2, retryInitialMs: 10 },
          'r3/1',
        );
        bad.push({ a: 1 }, 'k');
        busy.push({ a: 1 }, 'k');
        await waitFor(() => bad.counters.failed === 1 && busy.counters.failed === 1, 5_000);
        assert.deepEqual(bad.counters.dropped, { rejected: 1 });
        assert.equal(bad.counters.retried, 0);
        assert.deepEqual(busy.counters.dropped, { retries_exhausted: 1 });
        assert.equal(busy.counters.retried, 2);
        assert.equal(busy.counters.success + bad.counters.success, 0);
      },
    );
  });

  test('timeouts are answered failures: retried maxRetries times, then given up', async () => {
    await withTarget(
      () => ({ status: 200, delayMs: 1_000 }),
      async (target) => {
        const sink = http({ url: target.url, timeoutMs: 100 }).sink(
          { connector: 'hook', maxRetries: 1, retryInitialMs: 10 },
          'r3/2',
        );
        sink.push({ a: 1 }, 'k');
        await waitFor(() => sink.counters.failed === 1, 5_000, 'given up');
        assert.deepEqual(sink.counters.dropped, { retries_exhausted: 1 });
        assert.equal(sink.counters.retried, 1);
      },
    );
  });

  test('retries while the target is unreachable do not use up maxRetries', async () => {
    const target = await Webhook.start();
    let answers = 0;
    target.answer = () => ({ status: answers++ === 0 ? 503 : 200 });
    const sink = http({ url: target.url }).sink(
      { connector: 'hook', maxRetries: 1, retryInitialMs: 10, retryMaxMs: 20 },
      'r3/3',
    );
    await target.stop();
    sink.push({ seq: 0 }, 'k');
    await waitFor(() => sink.counters.retried >= 5, 5_000, 'retries while down');
    await target.listen();
    await waitFor(() => sink.counters.success === 1, 5_000, 'delivered after one 503');
    assert.deepEqual(sink.counters.dropped, {});
    await target.stop();
  });

  test('a refused record in a batch is dropped alone, the others delivered', async () => {
    await withTarget(
      (r) => ({ status: r.body.includes('"poison"') ? 422 : 200 }),
      async (target) => {
        const sink = http({ url: target.url }).sink(
          { connector: 'hook', batchSize: 5, batchTimeMs: 50 },
          'r4/0',
        );
        for (let seq = 0; seq < 5; seq++) sink.push(seq === 2 ? { seq, poison: 1 } : { seq }, 'k');
        await waitFor(() => sink.counters.success + sink.counters.failed === 5, 5_000);
        assert.equal(sink.counters.success, 4);
        assert.deepEqual(sink.counters.dropped, { rejected: 1 });
        assert.deepEqual(seqs(target), [0, 1, 3, 4]);
      },
    );
  });

  test('bad config: exact errors naming the key', () => {
    const deps = testDeps();
    const make = (config: Record<string, unknown>) => () =>
      createConnector({ name: 'h', type: 'http', ...config }, deps);
    assert.throws(make({}), { message: "connector 'h': url is required" });
    assert.throws(make({ url: 'ftp://x' }), {
      message: "connector 'h': url must start with http:// or https://",
    });
    assert.throws(make({ url: hook.url, timeoutMs: -1 }), {
      message: "connector 'h': timeoutMs must be an integer from 1 to 3600000, not -1",
    });
    assert.throws(make({ url: hook.url, tiemout: 1 }), {
      message: "connector 'h': unknown key 'tiemout' (known: name, type, url, headers, timeoutMs)",
    });
    assert.throws(() => createConnector({ name: 'k', type: 'kafka' as 'http' }, deps), {
      message:
        'connector \'k\': type must be one of http, mqtt, postgresql, redis, nats, not "kafka" (Kafka is left out: docs/CONNECTORS.md)',
    });
    const connector = http();
    assert.throws(() => connector.sink({ connector: 'hook', method: 'GOT' }, 's1'), {
      message:
        "sink 's1' (connector 'hook'): method must be one of POST, PUT, PATCH, GET, DELETE, not 'GOT'",
    });
    assert.throws(() => connector.sink({ connector: 'hook', buffer: { memory: 0 } }, 's1'), {
      message:
        "sink 's1' (connector 'hook') buffer: memory must be an integer from 1 to 100000000, not 0",
    });
    assert.throws(
      () => connector.sink({ connector: 'hook', path: '/${clientid}', batchSize: 5 }, 's1'),
      {
        message:
          "sink 's1' (connector 'hook'): with batchSize > 1, url, path and headers cannot hold ${...} (one request per batch)",
      },
    );
  });

  test('target stopped 10 s under load and restarted: 0 lost, order kept', async () => {
    const target = await Webhook.start();
    const sink = http({ url: target.url }).sink({ connector: 'hook', batchSize: 20 }, 'r5/0');
    await outageUnderLoad({
      sink,
      stop: () => target.stop(),
      start: () => target.listen(),
      received: async () => seqs(target),
    });
    await target.stop();
  });

  test('beyond the buffer bound, drops are counted exactly (memory only)', async () => {
    const target = await Webhook.start();
    const sink = http({ url: target.url }).sink(
      { connector: 'hook', buffer: { memory: 50 }, retryMaxMs: 100 },
      'r6/0',
    );
    await target.stop();
    sink.push({ seq: 0 }, 'k');
    await waitFor(() => sink.counters.retried > 0, 5_000, 'the first record in flight');
    for (let seq = 1; seq <= 80; seq++) sink.push({ seq }, 'k');
    assert.deepEqual(sink.counters.dropped, { buffer_full: 30 });
    assert.equal(sink.counters.queued, 50);
    await target.listen();
    await waitFor(() => sink.counters.success === 51, 10_000, 'the buffered records');
    assertAllInOrder(seqs(target), 51);
    await target.stop();
  });

  test('memory then disk: a down target gets everything back, also after the sink reopens', async () => {
    const data = await tempDir();
    const target = await Webhook.start();
    try {
      const config = { connector: 'hook', buffer: { memory: 10, disk: 300 }, batchSize: 7 };
      const connector = http({ url: target.url }, testDeps(data.dir));
      await target.stop();
      const first = connector.sink(config, 'r7/0');
      for (let seq = 0; seq < 350; seq++) first.push({ seq }, 'k');
      assert.deepEqual(first.counters.dropped, { buffer_full: 40 });
      assert.equal(first.counters.queued + first.counters.inflight, 310);
      await first.close();
      const second = connector.sink(config, 'r7/0');
      assert.equal(
        second.counters.queued + second.counters.inflight,
        310,
        'the disk kept them across the reopen',
      );
      await target.listen();
      await waitFor(() => second.counters.success === 310, 10_000, 'the buffered records');
      assertAllInOrder(seqs(target), 310);
    } finally {
      await target.stop();
      await data.remove();
    }
  });

  test('a disk buffer that cannot be opened is an error naming the sink', async () => {
    const data = await tempDir();
    try {
      await writeFile(join(data.dir, 'rules-buffer'), 'a file where the folder goes');
      assert.throws(() => http({}, testDeps(data.dir)).sink({ connector: 'hook' }, 'r9/0'), {
        message: new RegExp(
          `^sink 'r9/0' \\(connector 'hook'\\): cannot open the disk buffer ${data.dir}/rules-buffer/r9%2F0: `,
        ),
      });
    } finally {
      await data.remove();
    }
  });

  test('a slow webhook does not slow another sink or the caller', async () => {
    await withTarget(
      () => ({ status: 200, delayMs: 2_000 }),
      async (slow) => {
        const slowSink = http({ url: slow.url }).sink({ connector: 'hook' }, 'r8/slow');
        const fastSink = http().sink({ connector: 'hook' }, 'r8/fast');
        const started = performance.now();
        for (let seq = 0; seq < 200; seq++) {
          slowSink.push({ seq }, 'k');
          fastSink.push({ seq }, 'k');
        }
        const pushMs = performance.now() - started;
        assert.ok(pushMs < 100, `400 pushes took ${pushMs.toFixed(1)} ms`);
        await waitFor(() => fastSink.counters.success === 200, 5_000, 'the fast sink');
        assert.ok(
          performance.now() - started < 2_000,
          'the fast sink did not wait for the slow one',
        );
        assert.equal(slowSink.counters.success, 0);
      },
    );
  });
});
