// Reconnect against real brokers: the broker is killed and restarted mid-stream, the client
// reconnects with backoff, resubscribes, re-sends what was in flight and drains its bounded
// offline queue.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Message, type MqttClient, ProtocolVersion, connect } from '../../src/client/index.js';
import { type TestBroker, brokerKinds, startBroker } from './brokers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fastReconnect = { initialDelay: 50, maxDelay: 200, jitter: 0.2 };

/** Resolves on the client's next 'connect' event. */
const nextConnect = (client: MqttClient) =>
  new Promise<void>((resolve) => client.once('connect', () => resolve()));

for (const kind of await brokerKinds()) {
  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    describe(`reconnect against ${kind}, protocol ${protocolVersion}`, () => {
      let broker: TestBroker;
      const clients: MqttClient[] = [];
      before(async () => {
        // Mosquitto: no cap on QoS 1 messages in flight to a subscriber, so a PUBACK to the
        // publisher implies the copy for the subscriber was written before it.
        broker = await startBroker(kind, { extraConfig: ['max_inflight_messages 0'] });
      });
      after(async () => {
        for (const c of clients) c.destroy();
        await broker.stop();
      });

      it('QoS 1 stream survives a broker kill and restart: all arrive, in order', async () => {
        const client = await connect(broker.url, { protocolVersion, reconnect: fastReconnect });
        clients.push(client);
        await client.subscribe('rc/stream', { qos: 1 });
        const seen: number[] = [];
        client.on('message', (m: Message) => seen.push(Number(Buffer.from(m.payload).toString())));
        const total = 3_000;
        const published: Promise<unknown>[] = [];
        for (let i = 0; i < total; i++) {
          published.push(client.publish('rc/stream', `${i}`, { qos: 1 }));
          if (i === 1_000) {
            await broker.kill();
            setTimeout(() => void broker.restart(), 300);
          }
          if (i % 50 === 0) await sleep(1);
        }
        await Promise.all(published);
        await waitUntil(() => new Set(seen).size === total, 10_000);
        // QoS 1 allows duplicates (re-sent with DUP), never loss or reordering of first copies.
        const firsts = seen.filter((n, i) => seen.indexOf(n) === i);
        assert.deepEqual(
          firsts,
          Array.from({ length: total }, (_, i) => i),
        );
      });

      it('bounds the offline queue and drains it after reconnecting', async () => {
        // One client both subscribes and publishes: its resubscription goes out before its
        // queue drains, so every queued message has a subscriber to reach.
        const client = await connect(broker.url, {
          protocolVersion,
          reconnect: fastReconnect,
          maxQueuedMessages: 5,
        });
        clients.push(client);
        await client.subscribe('rc/queue', { qos: 1 });
        await broker.kill();
        await waitUntil(() => !client.connected, 5_000);
        const results = Array.from({ length: 8 }, (_, i) =>
          client.publish('rc/queue', `${i}`, { qos: i % 2 === 0 ? 1 : 0 }).then(
            () => 'sent',
            (error: { code: string }) => error.code,
          ),
        );
        assert.equal(client.queuedMessages, 5);
        const received = collect(client, 'rc/queue', 5);
        await broker.restart();
        assert.deepEqual(await Promise.all(results), [
          ...Array(5).fill('sent'),
          ...Array(3).fill('QUEUE_FULL'),
        ]);
        assert.deepEqual(await received, ['0', '1', '2', '3', '4']);
        assert.equal(client.queuedMessages, 0);
      });

      it('retries with exponential backoff and jitter while the broker is down', async () => {
        const client = await connect(broker.url, {
          protocolVersion,
          reconnect: { initialDelay: 20, factor: 2, maxDelay: 160, jitter: 0.5 },
        });
        clients.push(client);
        const delays: number[] = [];
        client.on('reconnect', ({ delay }) => delays.push(delay));
        await broker.kill();
        await waitUntil(() => delays.length >= 6, 5_000);
        const bases = [20, 40, 80, 160, 160, 160];
        bases.forEach((base, i) => {
          const d = delays[i]!;
          assert.ok(
            d >= base * 0.5 && d <= base,
            `attempt ${i + 1}: ${d} ms not in [${base / 2}, ${base}]`,
          );
        });
        const back = nextConnect(client);
        await broker.restart();
        await back;
        assert.equal(client.connected, true);
      });

      if (kind === 'mosquitto') {
        it('notices a frozen broker by ping timeout and reconnects when it recovers', async () => {
          const client = await connect(broker.url, {
            protocolVersion,
            keepAlive: 1,
            pingTimeout: 500,
            reconnect: fastReconnect,
          });
          clients.push(client);
          const offline = new Promise<Error | undefined>((resolve) =>
            client.once('offline', resolve),
          );
          broker.pause();
          const error = await offline;
          assert.equal((error as { code?: string }).code, 'PING_TIMEOUT');
          const back = nextConnect(client);
          broker.resume();
          await back;
          assert.equal(client.connected, true);
        });
      }
    });
  }
}

async function waitUntil(test: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function collect(client: MqttClient, topic: string, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    const got: string[] = [];
    const listener = (m: Message) => {
      if (m.topic !== topic) return;
      got.push(Buffer.from(m.payload).toString());
      if (got.length === count) {
        client.off('message', listener);
        resolve(got);
      }
    };
    client.on('message', listener);
  });
}
