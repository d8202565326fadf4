// The Redis connector against a real redis-server on a free port.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type Connector, createConnector } from '../../src/connectors/index.js';
import { type ManagedServer, startRedis } from '../auth/servers.js';
import { outageUnderLoad, testDeps, waitFor } from './harness.js';

let server: ManagedServer;
let redis: Redis;
const open: Connector[] = [];

before(async () => {
  server = await startRedis(true);
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  redis.on('error', () => {}); // the outage test stops the server under it
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  redis?.disconnect();
  await server?.remove();
});

function connector(): Connector {
  const made = createConnector(
    { name: 'rd', type: 'redis', url: `redis://127.0.0.1:${server.port}` },
    testDeps(),
  );
  open.push(made);
  return made;
}

describe('redis connector', { timeout: 60_000 }, () => {
  test('HSET, XADD, PUBLISH and SET with EX as command templates', async () => {
    const rd = connector();
    const subscriber = new Redis({ port: server.port, host: '127.0.0.1' });
    const published: string[] = [];
    subscriber.on('message', (_channel, message) => published.push(message));
    await subscriber.subscribe('alerts');
    try {
      const sinks = [
        'HSET dev:${clientid} temp ${t} topic ${topic}',
        'XADD readings * clientid ${clientid} t ${t}',
        'PUBLISH alerts "${clientid} is at ${t}"',
        'SET last:${clientid} ${t} EX 60',
      ].map((command, i) => rd.sink({ connector: 'rd', command }, `r1/${i}`));
      const output = { clientid: 'dev1', t: 31.5, topic: 'sensors/dev1' };
      for (const sink of sinks) sink.push(output, 'r1/sensors/dev1');
      await waitFor(() => sinks.every((s) => s.counters.success === 1), 5_000, 'all four');
      assert.deepEqual(await redis.hgetall('dev:dev1'), { temp: '31.5', topic: 'sensors/dev1' });
      const [[, fields]] = (await redis.xrange('readings', '-', '+')) as [string, string[]][];
      assert.deepEqual(fields, ['clientid', 'dev1', 't', '31.5']);
      await waitFor(() => published.length === 1, 2_000, 'the PUBLISH');
      assert.deepEqual(published, ['dev1 is at 31.5']);
      assert.equal(await redis.get('last:dev1'), '31.5');
      const ttl = await redis.ttl('last:dev1');
      assert.ok(ttl > 50 && ttl <= 60, `ttl ${ttl}`);
      assert.equal(rd.status(), 'connected');
    } finally {
      subscriber.disconnect();
    }
  });

  test('a command Redis refuses is dropped alone, the pipeline goes on', async () => {
    await redis.set('plain', 'x');
    const sink = connector().sink(
      { connector: 'rd', command: 'HSET ${key} f ${v}', batchSize: 10, batchTimeMs: 50 },
      'r2/0',
    );
    sink.push({ key: 'h1', v: 1 }, 'k');
    sink.push({ key: 'plain', v: 2 }, 'k'); // WRONGTYPE
    sink.push({ key: 'h3', v: 3 }, 'k');
    await waitFor(() => sink.counters.success + sink.counters.failed === 3, 5_000);
    assert.equal(sink.counters.success, 2);
    assert.deepEqual(sink.counters.dropped, { rejected: 1 });
    assert.equal(await redis.hget('h3', 'f'), '3');
  });

  test('a command in flight when the server goes is sent again, not dropped', async () => {
    const rd = connector();
    // BLPOP waits a second on the server: the stop comes while it is in flight.
    const sink = rd.sink({ connector: 'rd', command: 'BLPOP ${key} 1' }, 'r4/0');
    await waitFor(() => rd.status() === 'connected', 5_000);
    sink.push({ key: 'nothing' }, 'k');
    await waitFor(() => sink.counters.inflight === 1, 2_000);
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    await server.start();
    await waitFor(() => sink.counters.success === 1, 10_000, 'the command, again');
    assert.deepEqual(sink.counters.dropped, {});
    assert.ok(sink.counters.retried >= 1);
  });

  test('bad config: exact errors naming the key', () => {
    assert.throws(
      () => createConnector({ name: 'r', type: 'redis', url: 'http://x' }, testDeps()),
      { message: "connector 'r': url must start with redis:// or rediss://" },
    );
    const rd = connector();
    assert.throws(() => rd.sink({ connector: 'rd', command: '  ' }, 's'), {
      message: "sink 's' (connector 'rd'): command is required",
    });
    assert.throws(() => rd.sink({ connector: 'rd', command: '${cmd} k v' }, 's'), {
      message: "sink 's' (connector 'rd'): command must start with a Redis command name, not ''",
    });
  });

  test('server stopped 10 s under load and restarted: 0 lost, order kept', async () => {
    const rd = connector();
    const sink = rd.sink(
      { connector: 'rd', command: 'RPUSH outage ${seq}', batchSize: 50 },
      'r3/0',
    );
    await outageUnderLoad({
      sink,
      connector: rd,
      stop: () => server.stop(),
      start: () => server.start(),
      received: async () => (await redis.lrange('outage', 0, -1).catch(() => [])).map(Number),
    });
  });
});
