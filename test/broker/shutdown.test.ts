// Graceful shutdown: 5.0 clients are told why (DISCONNECT 0x8B), 3.1.1 clients are closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/constants.js';
import { connected } from '../conformance/raw-client.js';
import { createBroker } from '../../src/index.js';

test('close() sends DISCONNECT 0x8B Server shutting down to 5.0 clients and closes 3.1.1 ones [MQTT-3.14.2-1]', async () => {
  const server = await createBroker({
    listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }],
    broker: { sysInterval: 0 },
  });
  const port = server.address('tcp').port;
  const v5 = await connected(port, { clientId: 'five', version: 5 });
  const v4 = await connected(port, { clientId: 'four', version: 4 });
  const closing = server.close();
  const disconnect = await v5.expect(PacketType.Disconnect);
  assert.equal(disconnect.reasonCode, ReasonCode.ServerShuttingDown);
  await v5.expectClose();
  const leftovers = await v4.expectClose();
  assert.deepEqual(leftovers, []);
  await closing;
});
