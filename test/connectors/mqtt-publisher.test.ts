// The bridge's pipelined writes (src/connectors/mqtt-publisher.ts) against a real Mosquitto of
// its own, whose ACL refuses publishes on denied/#: many QoS 1 messages in flight at once, the
// window bound, and a refusal that comes after the batch was counted.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { connect, type Message, type MqttClient } from '../../src/client/index.js';
import { createConnector, isMqttBridge } from '../../src/connectors/index.js';
import {
  type OutgoingMessage,
  PipelinedPublisher,
  WINDOW,
} from '../../src/connectors/mqtt-publisher.js';
import { type ManagedServer, startMosquittoServer } from '../auth/servers.js';
import { tempDir, testDeps, waitFor } from './harness.js';

let mosquitto: ManagedServer;
let removeAcl: () => Promise<void>;
let client: MqttClient;
let watcher: MqttClient;
const received: Message[] = [];

before(async () => {
  const dir = await tempDir();
  removeAcl = dir.remove;
  const acl = `${dir.dir}/acl`;
  await writeFile(acl, 'topic readwrite pipe/#\ntopic read denied/#\n');
  mosquitto = await startMosquittoServer([`acl_file ${acl}`]);
  const url = `mqtt://127.0.0.1:${mosquitto.port}`;
  client = await connect(url, { clientId: 'pipelined' });
  watcher = await connect(url, { clientId: 'pipe-watcher' });
  watcher.on('message', (m) => received.push(m));
  await watcher.subscribe('pipe/#', { qos: 1 });
});
after(async () => {
  await client?.end({ force: true });
  await watcher?.end({ force: true });
  await mosquitto?.remove();
  await removeAcl?.();
});

const batch = (from: number, count: number, topic = 'pipe/a'): OutgoingMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    topic,
    payload: String(from + i),
    qos: 1,
    retain: false,
  }));

describe('pipelined MQTT bridge writes', { timeout: 30_000 }, () => {
  test('a QoS 1 batch is done once the client has it: the next one does not wait for PUBACKs', async () => {
    const publisher = new PipelinedPublisher('p', 5_000, undefined);
    await publisher.publish(client, batch(0, 300));
    assert.equal(
      publisher.unacknowledged,
      300,
      'all 300 still unacknowledged when write() resolved',
    );
    await publisher.publish(client, batch(300, 300));
    assert.equal(publisher.unacknowledged, 600);
    await waitFor(() => publisher.unacknowledged === 0, 10_000, 'all PUBACKs');
    await waitFor(() => received.length === 600, 10_000, 'all 600 at the watcher');
    assert.deepEqual(
      received.map((m) => Number(Buffer.from(m.payload).toString())),
      Array.from({ length: 600 }, (_, i) => i),
    );
  });

  test(`unacknowledged messages stay within the window (${WINDOW}) plus one batch`, async () => {
    const publisher = new PipelinedPublisher('p', 5_000, undefined);
    let most = 0;
    for (let i = 0; i < 10; i++) {
      await publisher.publish(client, batch(1_000 + i * 500, 500));
      most = Math.max(most, publisher.unacknowledged);
    }
    assert.ok(most >= WINDOW, `the window filled (${most})`);
    assert.ok(most < WINDOW + 500, `${most} unacknowledged at most`);
    await waitFor(() => publisher.unacknowledged === 0, 10_000, 'all PUBACKs');
  });

  test('a PUBACK refusing a message after its batch was counted: success corrected, dropped as rejected', async () => {
    const bridge = createConnector(
      {
        name: 'up',
        type: 'mqtt',
        url: `mqtt://127.0.0.1:${mosquitto.port}`,
        clientId: 'pipe-bridge',
        topics: ['# out 1 local/ pipe/', '# out 1 bad/ denied/'],
      },
      testDeps(),
    );
    assert.ok(isMqttBridge(bridge));
    try {
      await waitFor(() => bridge.status() === 'connected', 5_000, 'connected');
      const counters = bridge.forwardCounters!;
      bridge.forward('local/ok', Buffer.from('1'), 1, false);
      bridge.forward('bad/x', Buffer.from('2'), 1, false);
      bridge.forward('local/ok', Buffer.from('3'), 1, false);
      await waitFor(() => counters.success + counters.failed === 3 && counters.failed === 1, 5_000);
      assert.equal(counters.success, 2);
      assert.deepEqual(counters.dropped, { rejected: 1 });
    } finally {
      await bridge.close();
    }
  });
});
