// Retained messages against the real server over TCP: set, replace, delete with an empty
// payload, delivery on subscribe with the RETAIN flag, QoS kept, expiry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { Harness, publishPacket, sleep, text } from './raw-client.js';

describe('04 retain', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  const client = (version: 4 | 5 = 5, clientId = `r${++n}`) => h.connected({ version, clientId });

  /** What a new subscription to `filter` receives at once (retained messages). */
  async function retainedFor(filter: string, qos: 0 | 1 | 2 = 2, version: 4 | 5 = 5) {
    const sub = await client(version);
    assert.deepEqual(await sub.subscribe([{ topicFilter: filter, qos }]), [qos]);
    const got = [];
    for (const p of await sub.collect(150)) {
      assert.equal(p.type, PacketType.Publish);
      if (p.type === PacketType.Publish) {
        got.push(p);
        await sub.acknowledge(p);
      }
    }
    sub.disconnect();
    return got;
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.3.1-5] [MQTT-3.3.1-9]'
        : '[MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]';
    it(`v${version}: a retained message is stored with its QoS and sent to new subscriptions with RETAIN 1 ${rules}`, async () => {
      const topic = `keep${version}/a`;
      const pub = await client(version);
      await pub.publish(topic, 'stored', { qos: 1, retain: true });
      const [at2] = await retainedFor(topic, 2, version);
      assert.equal(text(at2!), 'stored');
      assert.equal(at2!.retain, true);
      assert.equal(at2!.qos, 1, 'the stored QoS, not the subscription’s');
      const [at0] = await retainedFor(`keep${version}/+`, 0, version);
      assert.equal(at0!.qos, 0, 'never above the granted QoS');
      assert.equal(at0!.retain, true);
      await pub.publish(topic, '', { qos: 1, retain: true });
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.3.1-5]' : '[MQTT-3.3.1-7]';
    it(`v${version}: a new retained message, even QoS 0, replaces the old one ${rules}`, async () => {
      const pub = await client(version);
      await pub.publish('replace/a', 'old', { qos: 2, retain: true });
      pub.send(publishPacket('replace/a', 'new', { qos: 0, retain: true }));
      await pub.publish('sync', 'x', { qos: 1 });
      const got = await retainedFor('replace/a');
      assert.deepEqual(
        got.map((p) => [text(p), p.qos]),
        [['new', 0]],
      );
      await pub.publish('replace/a', '', { qos: 1, retain: true });
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5 ? '[MQTT-3.3.1-6] [MQTT-3.3.1-7]' : '[MQTT-3.3.1-10] [MQTT-3.3.1-11]';
    it(`v${version}: a retained PUBLISH with an empty payload deletes the retained message and is not stored itself ${rules}`, async () => {
      const watcher = await client(version);
      await watcher.subscribe(['del/#']);
      const pub = await client(version);
      await pub.publish('del/a', 'doomed', { qos: 1, retain: true });
      assert.equal(text(await watcher.expect(PacketType.Publish)), 'doomed');
      await pub.publish('del/a', '', { qos: 1, retain: true });
      // Current subscribers still get the empty message as a normal message.
      const empty = await watcher.expect(PacketType.Publish);
      assert.equal(empty.payload.length, 0);
      assert.deepEqual(await retainedFor('del/#'), []);
      assert.equal(h.server.broker.core.retained.get('del/a'), undefined);
      // An empty retained PUBLISH where nothing was retained stores nothing either.
      await pub.publish('del/never', '', { qos: 0, retain: true });
      await pub.publish('sync', 'x', { qos: 1 });
      assert.deepEqual(await retainedFor('del/#'), []);
      watcher.disconnect();
      pub.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.3.1-8]' : '[MQTT-3.3.1-12]';
    it(`v${version}: a PUBLISH with RETAIN 0 neither stores nor changes the retained message ${rules}`, async () => {
      const pub = await client(version);
      await pub.publish('noret/a', 'kept', { qos: 1, retain: true });
      await pub.publish('noret/a', 'passing', { qos: 1, retain: false });
      await pub.publish('noret/b', 'passing', { qos: 1, retain: false });
      const got = await retainedFor('noret/#');
      assert.deepEqual(got.map(text), ['kept']);
      await pub.publish('noret/a', '', { qos: 1, retain: true });
      pub.disconnect();
    });
  }

  it('v3.1.1: retained messages outlive the session of their publisher [MQTT-3.1.2-7]', async () => {
    const pub = await client(4, 'gone-publisher');
    await pub.publish('outlive/a', 'still here', { qos: 1, retain: true });
    pub.disconnect();
    await pub.expectClose();
    assert.equal(h.server.broker.core.sessions.has('gone-publisher'), false);
    const got = await retainedFor('outlive/a', 1, 4);
    assert.deepEqual(got.map(text), ['still here']);
    const cleaner = await client(4);
    await cleaner.publish('outlive/a', '', { qos: 1, retain: true });
    cleaner.disconnect();
  });

  it('every matching retained message is sent on subscribe, but not $-topics to a leading wildcard [MQTT-3.3.1-6] [MQTT-4.7.2-1]', async () => {
    const pub = await client();
    for (const t of ['many/a', 'many/b/c', 'many', '$many/x'])
      await pub.publish(t, t, { qos: 1, retain: true });
    assert.deepEqual((await retainedFor('many/#')).map(text).sort(), [
      'many',
      'many/a',
      'many/b/c',
    ]);
    assert.deepEqual((await retainedFor('many/+')).map(text).sort(), ['many/a']);
    const all = (await retainedFor('#')).map(text);
    assert.ok(!all.includes('$many/x'));
    assert.ok(all.includes('many/b/c'));
    assert.deepEqual((await retainedFor('+/x')).map(text), []);
    assert.deepEqual((await retainedFor('$many/+')).map(text), ['$many/x']);
    for (const t of ['many/a', 'many/b/c', 'many', '$many/x'])
      await pub.publish(t, '', { qos: 1, retain: true });
    pub.disconnect();
  });

  it('v5: a retained message is sent with its remaining Message Expiry Interval, and not once expired [MQTT-3.3.2-5] [MQTT-3.3.2-6]', async () => {
    const pub = await client();
    await pub.publish('rexp/short', 'short', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    await pub.publish('rexp/long', 'long', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 30 },
    });
    await sleep(1_200);
    const got = await retainedFor('rexp/#');
    assert.deepEqual(got.map(text), ['long']);
    const remaining = got[0]!.properties.messageExpiryInterval!;
    assert.ok(remaining <= 29 && remaining >= 27, `remaining ${remaining}`);
    await pub.publish('rexp/long', '', { qos: 1, retain: true });
    pub.disconnect();
  });

  it('v5: a retained message keeps its properties for later subscribers; 3.1.1 subscribers get it without', async () => {
    const pub = await client();
    await pub.publish('rprops', 'p', {
      qos: 1,
      retain: true,
      properties: { contentType: 'text/plain', userProperties: [['k', 'v']] },
    });
    const [v5] = await retainedFor('rprops');
    assert.equal(v5!.properties.contentType, 'text/plain');
    assert.deepEqual(v5!.properties.userProperties, [['k', 'v']]);
    const [v4] = await retainedFor('rprops', 1, 4);
    assert.equal(text(v4!), 'p');
    assert.equal(v4!.retain, true);
    await pub.publish('rprops', '', { qos: 1, retain: true });
    pub.disconnect();
  });
});
