// Outbound Topic Aliases: the broker maps topics to aliases up to the client's maximum and then
// sends the alias alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType } from '../../src/protocol/constants.js';
import { Harness, publishPacket, subscription } from '../conformance/raw-client.js';

test('the broker sends the topic once with an alias, then the alias alone [MQTT-3.3.2-12] [MQTT-3.3.2-11]', async () => {
  const h = await Harness.start();
  try {
    const sub = await h.connected({ clientId: 'aliased', properties: { topicAliasMaximum: 1 } });
    sub.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [subscription('alias/#')],
      properties: {},
    });
    await sub.expect(PacketType.Suback);
    const pub = await h.connected({ clientId: 'publisher' });
    for (const topic of ['alias/a', 'alias/a', 'alias/b']) pub.send(publishPacket(topic, 'x'));
    const first = await sub.expect(PacketType.Publish);
    const second = await sub.expect(PacketType.Publish);
    const third = await sub.expect(PacketType.Publish);
    assert.deepEqual([first.topic, first.properties.topicAlias], ['alias/a', 1]);
    assert.deepEqual([second.topic, second.properties.topicAlias], ['', 1]);
    // The client allows one alias only: a second topic goes out in full, without one.
    assert.deepEqual([third.topic, third.properties.topicAlias], ['alias/b', undefined]);
  } finally {
    await h.close();
  }
});
