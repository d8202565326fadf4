// Re-sending in-flight messages on reconnect stays within the new connection's Receive Maximum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType } from '../../src/protocol/constants.js';
import { Harness, publishPacket, subscription } from '../conformance/raw-client.js';

test('in-flight messages are re-sent within the new Receive Maximum, the rest as slots free up [MQTT-3.3.4-9] [MQTT-4.4.0-1]', async () => {
  const h = await Harness.start();
  try {
    const session = {
      clientId: 'slow-acker',
      clean: false,
      properties: { sessionExpiryInterval: 60, receiveMaximum: 10 },
    };
    const first = await h.connected(session);
    first.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [subscription({ topicFilter: 'rm/#', qos: 1 })],
      properties: {},
    });
    await first.expect(PacketType.Suback);
    const publisher = await h.connected({ clientId: 'rm-publisher' });
    for (let i = 1; i <= 5; i++)
      publisher.send(publishPacket('rm/x', String(i), { qos: 1, packetId: i }));
    for (let i = 1; i <= 5; i++) await first.expect(PacketType.Publish);
    first.destroy(); // none acknowledged

    const second = await h.connected({
      ...session,
      properties: { sessionExpiryInterval: 60, receiveMaximum: 2 },
    });
    const a = await second.expect(PacketType.Publish);
    const b = await second.expect(PacketType.Publish);
    assert.deepEqual([a.dup, b.dup], [true, true]);
    assert.deepEqual(
      [a, b].map((p) => Buffer.from(p.payload).toString()),
      ['1', '2'],
    );
    await second.expectNothing(300);
    second.send({ type: PacketType.Puback, packetId: a.packetId!, reasonCode: 0, properties: {} });
    const c = await second.expect(PacketType.Publish);
    assert.equal(Buffer.from(c.payload).toString(), '3');
    assert.equal(c.dup, true);
    await second.expectNothing(300);
    for (const p of [b, c])
      second.send({
        type: PacketType.Puback,
        packetId: p.packetId!,
        reasonCode: 0,
        properties: {},
      });
    const rest = [await second.expect(PacketType.Publish), await second.expect(PacketType.Publish)];
    assert.deepEqual(
      rest.map((p) => Buffer.from(p.payload).toString()),
      ['4', '5'],
    );
  } finally {
    await h.close();
  }
});
