// A will waiting for its Will Delay Interval is part of the session: it survives a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType } from '../../src/protocol/constants.js';
import { createBroker } from '../../src/index.js';
import {
  createMemorySessionData,
  MemoryRetainedStore,
  MemorySessionStore,
} from '../../src/store/memory.js';
import type { MessageRecord } from '../../src/broker/ports.js';
import { connected, subscription } from '../conformance/raw-client.js';

test('a delayed will is published after a broker restart, once [MQTT-3.1.3-9]', {
  timeout: 20_000,
}, async () => {
  const sessions = createMemorySessionData();
  const retained = new Map<string, MessageRecord>();
  const open = () =>
    createBroker({
      listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }],
      broker: { sysInterval: 0 },
      store: {
        sessions: new MemorySessionStore(sessions),
        retained: new MemoryRetainedStore(retained),
      },
    });
  const first = await open();
  const client = await connected(first.address('tcp').port, {
    clientId: 'will-keeper',
    properties: { sessionExpiryInterval: 60 },
    will: {
      topic: 'wills/keeper',
      payload: Buffer.from('gone'),
      properties: { willDelayInterval: 2 },
    },
  });
  client.destroy(); // no DISCONNECT: the will is due in 2 s
  await new Promise((r) => setTimeout(r, 200));
  await first.close();

  const second = await open();
  try {
    const watcher = await connected(second.address('tcp').port, { clientId: 'watcher' });
    watcher.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [subscription('wills/#')],
      properties: {},
    });
    await watcher.expect(PacketType.Suback);
    const will = await watcher.expect(PacketType.Publish, 5000);
    assert.equal(Buffer.from(will.payload).toString(), 'gone');
    await watcher.expectNothing(1500);
    assert.equal(
      sessions.sessions.get('will-keeper')?.delayedWill,
      undefined,
      'the published will left the record',
    );
  } finally {
    await second.close();
  }
});
