// The MQTT bridge's forward() of local QoS 0 messages against a real Mosquitto of its own: the
// fast path past the buffer while the link keeps up, and the bounded buffer, its order and
// its exact drop count while Mosquitto is stopped under load.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type MqttClient } from '../../src/client/index.js';
import { createConnector, isMqttBridge, type MqttBridge } from '../../src/connectors/index.js';
import { type ManagedServer, startMosquittoServer } from '../auth/servers.js';
import { testDeps, waitFor } from './harness.js';

const MEMORY = 1_000;
let mosquitto: ManagedServer;
let watcher: MqttClient;
let up: MqttBridge | undefined;
const seqs: number[] = [];

before(async () => {
  // The watcher's session survives the restart and keeps the QoS 0 messages that arrive
  // while it reconnects: what it holds is what the bridge delivered.
  mosquitto = await startMosquittoServer([
    'persistence true',
    'queue_qos0_messages true',
    'max_queued_messages 100000',
  ]);
  watcher = await connect(`mqtt://127.0.0.1:${mosquitto.port}`, {
    clientId: 'forward-watcher',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnect: { initialDelay: 50, maxDelay: 200 },
  });
  watcher.on('message', (m) => seqs.push(Number(Buffer.from(m.payload).toString())));
  await watcher.subscribe('remote/#', { qos: 1 });
});
after(async () => {
  await up?.close();
  await watcher?.end({ force: true });
  await mosquitto?.remove();
});

function bridge(): MqttBridge {
  const made = createConnector(
    {
      name: 'up',
      type: 'mqtt',
      url: `mqtt://127.0.0.1:${mosquitto.port}`,
      topics: ['# out 0 local/ remote/'],
      forward: { buffer: { memory: MEMORY }, retryInitialMs: 20, retryMaxMs: 100 },
    },
    testDeps(),
  );
  assert.ok(isMqttBridge(made));
  return made;
}

const tick = () => new Promise((r) => setTimeout(r, 10));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Forwards seq from..to-1, `perTick` per 10 ms (the broker hands them over turn by turn). */
async function forwardRange(bridge: MqttBridge, from: number, to: number, perTick: number) {
  for (let seq = from; seq < to; ) {
    for (const end = Math.min(to, seq + perTick); seq < end; seq++) {
      assert.equal(bridge.forward(`local/s/${seq % 7}`, Buffer.from(String(seq)), 0, false), true);
    }
    await tick();
  }
}

describe('mqtt bridge forward() under load', { timeout: 60_000 }, () => {
  test('QoS 0 forwards go out at once while the link keeps up: counted sent, nothing queued', async () => {
    up = bridge();
    await waitFor(() => up!.status() === 'connected', 5_000, 'connected');
    const counters = up.forwardCounters!;
    up.forward('local/s/first', Buffer.from('0'), 0, false);
    assert.equal(counters.success, 1, 'written into the client at once, not buffered');
    assert.equal(counters.queued, 0);
    await forwardRange(up, 1, 5_000, 500);
    await waitFor(() => seqs.length >= 5_000, 10_000, 'all 5000 at the watcher');
    assert.deepEqual(seqs, range(0, 5_000));
    assert.equal(counters.success, 5_000);
    assert.deepEqual(counters.dropped, {});
  });

  test('Mosquitto stopped: the buffer keeps its bound in order, drops exactly the excess as buffer_full, then drains before new forwards', async () => {
    const bridge = up!;
    const counters = bridge.forwardCounters!;
    await mosquitto.stop();
    await waitFor(() => bridge.status() !== 'connected', 5_000, 'bridge sees the stop');
    // 1500 while down: MEMORY are kept, plus the batch being retried; the rest is counted.
    await forwardRange(bridge, 5_000, 6_500, 100);
    const kept = counters.queued + counters.inflight;
    assert.equal(counters.queued, MEMORY);
    assert.ok(counters.inflight > 0 && counters.inflight <= 100, `${counters.inflight} in flight`);
    assert.deepEqual(counters.dropped, { buffer_full: 1_500 - kept });
    await mosquitto.start();
    await waitFor(() => counters.queued < MEMORY / 2, 15_000, 'the buffer draining');
    // Forwards while the rest drains queue behind it, then take the fast path again.
    await forwardRange(bridge, 6_500, 8_000, 50);
    const expected = [...range(0, 5_000 + kept), ...range(6_500, 8_000)];
    await waitFor(() => seqs.length >= expected.length, 15_000, 'all kept forwards arrive');
    assert.deepEqual(seqs, expected);
    assert.equal(counters.success, expected.length);
    assert.deepEqual(counters.dropped, { buffer_full: 1_500 - kept });
    assert.equal(counters.queued, 0);
  });
});
