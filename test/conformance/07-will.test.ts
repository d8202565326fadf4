// Will messages against the real server over TCP: published on an abnormal close, not after a
// normal DISCONNECT, kept by DISCONNECT 0x04, Will Delay Interval and its cancel, will
// retain and QoS, and the will's properties.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { bytes, Harness, type RawClient, sleep, text } from './raw-client.js';

describe('07 will', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ broker: { maxKeepAlive: 65535 } });
  });
  after(() => h.close());

  /** A subscriber to `filter` at QoS 2. */
  async function watch(filter: string, version: 4 | 5 = 5): Promise<RawClient> {
    const w = await h.connected({ version, clientId: `watch-${filter}-${version}` });
    await w.subscribe([{ topicFilter: filter, qos: 2 }]);
    return w;
  }

  for (const version of [3, 4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.1.2-7] [MQTT-3.1.2-8] [MQTT-3.1.2-14]'
        : '[MQTT-3.1.2-8] [MQTT-3.1.2-16]';
    it(`v${version}: the will is published when the connection drops without DISCONNECT ${rules}`, async () => {
      const topic = `will/drop${version}`;
      const w = await watch(topic);
      const c = await h.connected({
        version,
        clientId: `dropper${version}`,
        will: { topic, payload: Buffer.from('gone'), qos: 1 },
      });
      c.destroy();
      const got = await w.receive();
      assert.equal(got.topic, topic);
      assert.equal(text(got), 'gone');
      assert.equal(got.qos, 1);
      assert.equal(got.retain, false);
      assert.equal(h.server.broker.core.retained.get(topic), undefined, 'not retained');
      await w.expectNothing(200);
      w.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules =
      version === 5
        ? '[MQTT-3.1.2-10] [MQTT-3.14.4-3]'
        : '[MQTT-3.1.2-10] [MQTT-3.14.4-3] [MQTT-3.1.2-8]';
    it(`v${version}: a normal DISCONNECT discards the will ${rules}`, async () => {
      const topic = `will/normal${version}`;
      const w = await watch(topic);
      const c = await h.connected({
        version,
        clientId: `polite${version}`,
        will: { topic, payload: Buffer.from('x') },
      });
      c.disconnect();
      await c.expectClose();
      await w.expectNothing(300);
      w.disconnect();
    });
  }

  it('v3.1.1: without the Will Flag nothing is published on an abnormal close [MQTT-3.1.2-12]', async () => {
    const w = await watch('#', 4);
    const c = await h.connected({ version: 4, clientId: 'no-will' });
    c.destroy();
    await w.expectNothing(300);
    w.disconnect();
  });

  it('v5: DISCONNECT 0x04 (with will) publishes the will', async () => {
    const w = await watch('will/04');
    const c = await h.connected({
      clientId: 'with-will',
      will: { topic: 'will/04', payload: Buffer.from('as asked') },
    });
    c.disconnect(0x04);
    assert.equal(text(await w.expect(PacketType.Publish)), 'as asked');
    w.disconnect();
  });

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.1.2-15]' : '[MQTT-3.1.2-17]';
    it(`v${version}: Will Retain 1 publishes a retained will at the Will QoS ${rules}`, async () => {
      const topic = `will/retained${version}`;
      const c = await h.connected({
        version,
        clientId: `ret${version}`,
        will: { topic, payload: Buffer.from('last words'), qos: 2, retain: true },
      });
      c.destroy();
      await sleep(100);
      const late = await h.connected({ version, clientId: `late${version}` });
      await late.subscribe([{ topicFilter: topic, qos: 2 }]);
      const got = await late.receive();
      assert.equal(text(got), 'last words');
      assert.equal(got.retain, true);
      assert.equal(got.qos, 2);
      late.disconnect();
      h.server.publish(topic, '', { retain: true });
    });
  }

  it('v5: a will after a protocol error is published (the close was not a normal DISCONNECT) [MQTT-3.1.2-8]', async () => {
    const w = await watch('will/error');
    const c = await h.connected({
      clientId: 'erring',
      will: { topic: 'will/error', payload: Buffer.from('broke') },
    });
    c.send(bytes('30 03 00 01 23')); // PUBLISH to topic "#": a wildcard in a Topic Name
    const [d] = await c.expectClose();
    assert.equal(d?.type, PacketType.Disconnect);
    assert.equal(text(await w.expect(PacketType.Publish)), 'broke');
    w.disconnect();
  });

  it('v5: the will carries its properties, User Properties in order; Will Delay Interval is not passed on [MQTT-3.1.3-10]', async () => {
    const w = await watch('will/props');
    const c = await h.connected({
      clientId: 'propful',
      will: {
        topic: 'will/props',
        payload: Buffer.from('{}'),
        properties: {
          contentType: 'application/json',
          payloadFormatIndicator: 1,
          responseTopic: 'reply/here',
          correlationData: Buffer.from('cd'),
          messageExpiryInterval: 100,
          userProperties: [
            ['b', '1'],
            ['a', '2'],
            ['b', '3'],
          ],
        },
      },
    });
    c.destroy();
    const got = await w.expect(PacketType.Publish);
    const p = got.properties;
    assert.equal(p.contentType, 'application/json');
    assert.equal(p.payloadFormatIndicator, 1);
    assert.equal(p.responseTopic, 'reply/here');
    assert.equal(Buffer.from(p.correlationData!).toString(), 'cd');
    assert.ok(p.messageExpiryInterval! <= 100 && p.messageExpiryInterval! >= 98);
    assert.deepEqual(p.userProperties, [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
    assert.equal(p.willDelayInterval, undefined);
    w.disconnect();
  });

  it('v5: Will Delay Interval holds the will back, then publishes it [MQTT-3.1.2-8]', async () => {
    const w = await watch('will/delay');
    const c = await h.connected({
      clientId: 'delayed',
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'will/delay',
        payload: Buffer.from('late'),
        properties: { willDelayInterval: 1 },
      },
    });
    c.destroy();
    const started = Date.now();
    await w.expectNothing(700);
    const got = await w.expect(PacketType.Publish, 3_000);
    assert.equal(text(got), 'late');
    assert.ok(Date.now() - started >= 900, 'not before the delay');
    w.disconnect();
    const end = await h.connected({ clientId: 'delayed', clean: true });
    end.disconnect();
  });

  it('v5: reconnecting within the Will Delay Interval cancels the will [MQTT-3.1.3-9] [MQTT-3.1.2-10]', async () => {
    const w = await watch('will/cancel');
    const opts = {
      clientId: 'returner',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'will/cancel',
        payload: Buffer.from('should not'),
        properties: { willDelayInterval: 1 },
      },
    };
    const c = await h.connected(opts);
    c.destroy();
    await sleep(300);
    const back = await h.connected({ ...opts, will: undefined });
    await w.expectNothing(1_800);
    back.disconnect(0, { sessionExpiryInterval: 0 });
    await back.expectClose();
    await w.expectNothing(200);
    w.disconnect();
  });

  it('v5: the will goes out when the session ends before the Will Delay Interval [MQTT-3.1.2-8]', async () => {
    const w = await watch('will/session-end');
    const c = await h.connected({
      clientId: 'short-session',
      // Session Expiry 0: the session ends with the connection, so the 60 s delay is cut short.
      will: {
        topic: 'will/session-end',
        payload: Buffer.from('now'),
        properties: { willDelayInterval: 60 },
      },
    });
    c.destroy();
    assert.equal(text(await w.expect(PacketType.Publish, 1_500)), 'now');
    w.disconnect();
  });

  it('v5: a takeover with Clean Start 1 publishes the old connection’s will (its session ended)', async () => {
    const w = await watch('will/takeover');
    const first = await h.connected({
      clientId: 'taken-will',
      will: { topic: 'will/takeover', payload: Buffer.from('replaced') },
    });
    const second = await h.connected({ clientId: 'taken-will' });
    await first.expectClose();
    assert.equal(text(await w.expect(PacketType.Publish)), 'replaced');
    second.disconnect();
    w.disconnect();
  });

  it('keep-alive timeout publishes the will [MQTT-3.1.2-8] [MQTT-3.1.2-24]', async () => {
    const w = await watch('will/ka');
    await h.connected({
      version: 4,
      clientId: 'sleepy',
      keepAlive: 1,
      will: { topic: 'will/ka', payload: Buffer.from('timed out') },
    });
    assert.equal(text(await w.expect(PacketType.Publish, 4_000)), 'timed out');
    w.disconnect();
  });
});
