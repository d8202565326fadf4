// A subscriber that stops reading must not grow the broker without bound: QoS 0 messages to it
// are dropped once its socket backlog is full, QoS 1 messages once its queue is full.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PacketType } from '../../src/protocol/constants.js';
import { encode } from '../../src/protocol/index.js';
import { type CulexServer, createBroker } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: CulexServer;
let port: number;

before(async () => {
  server = await createBroker({
    listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }],
    broker: {
      sysInterval: 0,
      maxQueuedMessages: 1000,
      maxSocketBacklogBytes: 256 * 1024,
      maxInflightMessages: 10,
    },
  });
  port = server.address('tcp').port;
});
after(() => server.close());

function open(): Promise<Socket> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => done(socket));
  });
}

function connectPacket(clientId: string) {
  return encode(
    {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId,
      properties: {},
    },
    4,
  );
}

/** A subscriber that sends CONNECT and SUBSCRIBE, then never reads again. */
async function stalledSubscriber(filter: string, qos: 0 | 1): Promise<Socket> {
  const socket = await open();
  socket.write(connectPacket(`stalled-${qos}`));
  socket.write(
    encode(
      {
        type: PacketType.Subscribe,
        packetId: 1,
        subscriptions: [
          { topicFilter: filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        ],
        properties: {},
      },
      4,
    ),
  );
  await new Promise((r) => setTimeout(r, 200));
  socket.pause();
  return socket;
}

async function flood(topic: string, qos: 0 | 1, count: number, size: number): Promise<void> {
  const socket = await open();
  socket.on('data', () => {});
  socket.write(connectPacket(`flood-${qos}`));
  const batch: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    batch.push(
      encode(
        {
          type: PacketType.Publish,
          topic,
          payload: Buffer.alloc(size, i),
          qos,
          retain: false,
          dup: false,
          packetId: qos ? i + 1 : undefined,
          properties: {},
        },
        4,
      ),
    );
  }
  const chunk = Buffer.concat(batch);
  for (let sent = 0; sent < count; sent += 100) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

function memory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('QoS 0 to a stalled subscriber is dropped once its backlog limit is reached; memory stays flat', {
  timeout: 60_000,
}, async () => {
  const subscriber = await stalledSubscriber('slow/q0', 0);
  const before = memory();
  await flood('slow/q0', 0, 100_000, 1024);
  const growth = memory() - before;
  const stats = server.broker.core.stats;
  console.log(
    `slow consumer QoS 0: 100k × 1 KiB published, ${stats.dropped.slowConsumer} dropped, memory growth ${(growth / 1048576).toFixed(1)} MiB`,
  );
  assert.ok(
    stats.dropped.slowConsumer > 50_000,
    `expected drops, got ${stats.dropped.slowConsumer}`,
  );
  assert.ok(growth < 32 * 1048576, `memory grew by ${growth} bytes`);
  subscriber.destroy();
});

test('QoS 1 to a stalled subscriber queues at most maxQueuedMessages, then drops; memory stays flat', {
  timeout: 60_000,
}, async () => {
  const subscriber = await stalledSubscriber('slow/q1', 1);
  const before = memory();
  await flood('slow/q1', 1, 50_000, 1024);
  const growth = memory() - before;
  const session = server.broker.core.sessions.get('stalled-1')!;
  const stats = server.broker.core.stats;
  console.log(
    `slow consumer QoS 1: 50k × 1 KiB published, ${session.inflight.size} in flight, ${session.queuedCount} queued, ${stats.dropped.queueFull} dropped, memory growth ${(growth / 1048576).toFixed(1)} MiB`,
  );
  assert.equal(session.queuedCount, 1000);
  assert.ok(session.inflight.size <= 10);
  assert.ok(stats.dropped.queueFull >= 48_000);
  assert.ok(growth < 32 * 1048576, `memory grew by ${growth} bytes`);
  subscriber.destroy();
});
