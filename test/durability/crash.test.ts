// The durable store's promise under SIGKILL: every QoS 1 PUBLISH the broker acknowledged
// reaches a persistent subscriber that was offline, at least once and in order per publisher.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import { culexArgs, freePort, startCulex, stopProcess } from '../../bench/broker-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'culex-crash-'));
let broker: ChildProcess | undefined;

after(() => {
  broker?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startBroker(port: number): Promise<void> {
  const args = culexArgs(port, ['--store', 'lmdb', '--data-dir', dataDir, '--durability', 'sync']);
  broker = (await startCulex(args)).child;
}

const kill = () => stopProcess(broker!, 'SIGKILL');

function connect(port: number, clientId: string): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 3000,
  });
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, fail) => setTimeout(() => fail(new Error('timeout')), ms).unref()),
  ]);
}

test('acknowledged QoS 1 messages survive repeated SIGKILL of the broker [MQTT-4.3.2-4] [MQTT-4.1.0-1]', {
  timeout: 90_000,
}, async () => {
  const port = await freePort();
  await startBroker(port);
  const subscriber = await connect(port, 'crash-sub');
  await subscriber.subscribeAsync('crash/#', { qos: 1 });
  await subscriber.endAsync();

  const total = 600;
  const kills = 3;
  const acked = new Set<number>();
  let publisher = await connect(port, 'crash-pub');
  for (let seq = 1; seq <= total; seq++) {
    if (seq % Math.floor(total / (kills + 1)) === 0 && seq < total) {
      // Kill with the last publishes possibly in flight, then start again on the same data.
      publisher.publish('crash/p1', String(seq), { qos: 1 });
      await kill();
      publisher.end(true);
      await startBroker(port);
      publisher = await connect(port, 'crash-pub');
      continue;
    }
    try {
      await within(publisher.publishAsync('crash/p1', String(seq), { qos: 1 }), 5000);
      acked.add(seq);
    } catch {
      // Not acknowledged: no promise was made for it.
    }
  }
  await publisher.endAsync();
  await kill();
  await startBroker(port);

  const received: number[] = [];
  // Listen before connecting: the queue arrives right behind CONNACK.
  const late = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: 'crash-sub',
    clean: false,
    reconnectPeriod: 0,
  });
  await within(
    new Promise<void>((done) => {
      const check = () => {
        if ([...acked].every((s) => received.includes(s))) done();
      };
      late.on('message', (_topic, payload) => {
        received.push(Number(payload.toString()));
        check();
      });
    }),
    20_000,
  ).catch(() => undefined);
  await late.endAsync();

  const missing = [...acked].filter((s) => !received.includes(s));
  const firsts = received.filter((s, i) => received.indexOf(s) === i);
  const inOrder = firsts.every((s, i) => i === 0 || s > firsts[i - 1]!);
  console.log(
    `crash test: ${total} published, ${acked.size} acknowledged, ${kills + 1} SIGKILLs, ${received.length} received (${received.length - firsts.length} duplicates), ${missing.length} missing`,
  );
  assert.ok(acked.size > total * 0.9, `too few acknowledged: ${acked.size}`);
  assert.deepEqual(missing, [], 'acknowledged messages lost');
  assert.ok(inOrder, 'messages out of order');
});
