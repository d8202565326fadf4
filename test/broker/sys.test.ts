// $SYS: periodic statistics (retained) and client presence events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketType } from '../../src/protocol/constants.js';
import { Harness, subscription, text } from '../conformance/raw-client.js';

test('$SYS/broker statistics are published every sysInterval and kept retained', async () => {
  const h = await Harness.start({ broker: { sysInterval: 1 } });
  try {
    await h.connected({ clientId: 'someone' });
    await new Promise((r) => setTimeout(r, 1200));
    const watcher = await h.connected({ clientId: 'sys-watcher' });
    watcher.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [
        subscription('$SYS/broker/clients/connected'),
        subscription('$SYS/broker/version'),
      ],
      properties: {},
    });
    await watcher.expect(PacketType.Suback);
    const seen = new Map<string, string>();
    while (seen.size < 2) {
      const p = await watcher.expect(PacketType.Publish, 3000);
      seen.set(p.topic, text(p));
    }
    assert.match(seen.get('$SYS/broker/version')!, /^culex \d/);
    assert.equal(seen.get('$SYS/broker/clients/connected'), '1');
    // The next round counts the watcher too.
    const next = await watcher.expect(PacketType.Publish, 3000);
    assert.equal(next.topic, '$SYS/broker/clients/connected');
    assert.equal(text(next), '2');
  } finally {
    await h.close();
  }
});

test('presence events on $SYS/brokers/<node>/clients/<id>/connected|disconnected; # does not see them [MQTT-4.7.2-1]', async () => {
  const h = await Harness.start({ broker: { nodeName: 'n1' } });
  try {
    const watcher = await h.connected({ clientId: 'presence-watcher' });
    watcher.send({
      type: PacketType.Subscribe,
      packetId: 1,
      subscriptions: [subscription('$SYS/brokers/n1/clients/+/+'), subscription('#')],
      properties: {},
    });
    await watcher.expect(PacketType.Suback);
    const visitor = await h.connected({ clientId: 'visitor', username: 'vic' });
    const connected = await watcher.expect(PacketType.Publish);
    assert.equal(connected.topic, '$SYS/brokers/n1/clients/visitor/connected');
    assert.deepEqual(
      (({ clientid, username, proto_ver }) => ({ clientid, username, proto_ver }))(
        JSON.parse(text(connected)),
      ),
      { clientid: 'visitor', username: 'vic', proto_ver: 5 },
    );
    visitor.destroy();
    const gone = await watcher.expect(PacketType.Publish);
    assert.equal(gone.topic, '$SYS/brokers/n1/clients/visitor/disconnected');
    assert.equal(JSON.parse(text(gone)).reason, 'error');
    await watcher.expectNothing(300);
  } finally {
    await h.close();
  }
});
