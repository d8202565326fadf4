// The NATS connector against a real nats-server with JetStream on free ports.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsServers } from '../../bench/nats-servers.js';
import { type Connector, createConnector } from '../../src/connectors/index.js';
import { outageUnderLoad, testDeps, waitFor } from './harness.js';

let nats: NatsServers;
let nc: NatsConnection;
const open: Connector[] = [];

before(async () => {
  nats = await NatsServers.start(1);
  nc = await connect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'READINGS', subjects: ['readings.>'] });
  await jsm.streams.add({ name: 'OUTAGE', subjects: ['outage.>'] });
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await nc?.close();
  await nats?.close();
});

function connector(): Connector {
  const made = createConnector({ name: 'nt', type: 'nats', url: nats.urls }, testDeps());
  open.push(made);
  return made;
}

/** Every message in `stream`, as its `seq` field. */
async function streamSeqs(stream: string): Promise<number[]> {
  const consumer = await jetstream(nc).consumers.get(stream);
  const seqs: number[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 5_000, expires: 1_000 });
    let got = 0;
    for await (const m of batch) {
      seqs.push((m.json() as { seq: number }).seq);
      got++;
    }
    if (got === 0) return seqs;
  }
}

describe('nats connector', { timeout: 60_000 }, () => {
  test('core NATS: subject and payload templates, flushed before success', async () => {
    const got: { subject: string; data: string }[] = [];
    const sub = nc.subscribe('alerts.>', {
      callback: (_e, m) => {
        got.push({ subject: m.subject, data: m.string() });
      },
    });
    await nc.flush();
    const nt = connector();
    const sink = nt.sink(
      { connector: 'nt', subject: 'alerts.${clientid}', payload: '${t}' },
      'r1/0',
    );
    await waitFor(() => nt.status() === 'connected', 5_000, 'connected');
    sink.push({ clientid: 'dev1', t: 31 }, 'k');
    sink.push({ clientid: 'bad subject', t: 1 }, 'k');
    await waitFor(() => got.length === 1 && sink.counters.failed === 1, 5_000, 'the message');
    assert.deepEqual(got, [{ subject: 'alerts.dev1', data: '31' }]);
    assert.deepEqual(sink.counters.dropped, { rejected: 1 });
    sub.unsubscribe();
  });

  test('JetStream: each publish acked by the stream, in order', async () => {
    const sink = connector().sink(
      { connector: 'nt', subject: 'readings.${clientid}', jetstream: true, batchSize: 50 },
      'r2/0',
    );
    for (let seq = 0; seq < 300; seq++) sink.push({ clientid: 'js', seq }, 'k');
    await waitFor(() => sink.counters.success === 300, 10_000, 'acks');
    assert.deepEqual(await streamSeqs('READINGS'), [...Array(300).keys()]);
  });

  test('bad config: exact errors naming the key', () => {
    assert.throws(() => createConnector({ name: 'n', type: 'nats', url: 'http://x' }, testDeps()), {
      message:
        "connector 'n': url must be nats://host:port (several separated by ','), not 'http://x'",
    });
    const nt = connector();
    assert.throws(() => nt.sink({ connector: 'nt' }, 's'), {
      message: "sink 's' (connector 'nt'): subject is required",
    });
    assert.throws(() => nt.sink({ connector: 'nt', subject: 'a', jetstream: 'yes' }, 's'), {
      message: "sink 's' (connector 'nt'): jetstream must be true or false, not 'yes'",
    });
  });

  test('JetStream server stopped 10 s under load and restarted: 0 lost, order kept', async () => {
    const nt = connector();
    await waitFor(() => nt.status() === 'connected', 5_000, 'connected');
    const sink = nt.sink(
      { connector: 'nt', subject: 'outage.all', jetstream: true, batchSize: 50 },
      'r3/0',
    );
    await outageUnderLoad({
      sink,
      connector: nt,
      stop: () => nats.kill(0),
      start: () => nats.restart(0),
      received: () => streamSeqs('OUTAGE').catch(() => []),
    });
  });
});
