// Republish end to end: our client publishes, MQTT.js and a raw client receive what the rule
// made (topic, payload and user property templates, QoS, retain); rule order, counters and
// the loop guard.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { connect, type Message, type MqttClient } from '../../src/client/index.js';
import type { RuleConfig } from '../../src/rules/index.js';
import { Harness, sleep, text } from '../conformance/raw-client.js';

const rules: RuleConfig[] = [
  {
    id: 'hot',
    sql: 'SELECT payload.temp AS t, clientid FROM "sensors/#" WHERE t > 30',
    enabled: true,
    actions: [
      {
        type: 'republish',
        topic: 'alerts/${clientid}',
        qos: 1,
        retain: true,
        payload: '${t}',
        userProperties: { from: '${clientid}' },
      },
    ],
  },
  {
    id: 'first',
    sql: 'SELECT topic FROM "order/in"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'order/out', payload: 'first' }],
  },
  {
    id: 'second',
    sql: 'SELECT topic FROM "+/in"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'order/out', payload: 'second' }],
  },
  {
    id: 'loop',
    sql: 'SELECT * FROM "loop/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'loop/again', payload: 'x' }],
  },
  {
    id: 'math',
    sql: 'SELECT power(payload.x, 2) AS p FROM "math/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'squares/x', payload: '${p}' }],
  },
  {
    id: 'broken',
    sql: 'SELECT * FROM "bad/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'bad/${payload}/+', payload: 'x' }],
  },
  {
    id: 'echo',
    sql: 'SELECT payload, clientid FROM "echo/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'echoed/${clientid}', payload: '${payload}' }],
  },
  {
    id: 'fields',
    sql: 'SELECT id, timestamp, pub_props, payload.v AS v FROM "fields/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'fields-out/json' }],
  },
  {
    id: 'union-a',
    sql: 'SELECT payload.v AS v, timestamp FROM "union/#"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'union-out/a', payload: 'a:${v}' }],
  },
  {
    id: 'union-b',
    sql: 'SELECT clientid FROM "union/+"',
    enabled: true,
    actions: [{ type: 'republish', topic: 'union-out/b', payload: 'b:${clientid}' }],
  },
];

describe('rules: republish', { timeout: 60_000 }, () => {
  let h: Harness;
  let publisher: MqttClient;
  const url = () => `mqtt://127.0.0.1:${h.port}`;
  before(async () => {
    h = await Harness.start({ rules: { rules } });
    publisher = await connect(url(), { clientId: 'sensor-7', protocolVersion: 5 });
  });
  after(async () => {
    await publisher.end({ force: true });
    await h.close();
  });

  it('WHERE filters, templates fill topic, payload and user properties; QoS and retain as set (MQTT.js receives)', async () => {
    const sub = await mqtt.connectAsync(url(), { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      await sub.subscribeAsync('alerts/#', { qos: 1 });
      const got = new Promise<[string, Buffer, mqtt.IPublishPacket]>((resolve) =>
        sub.once('message', (t, p, packet) => resolve([t, p, packet])),
      );
      await publisher.publish('sensors/a/temp', '{"temp":20}', { qos: 1 });
      await publisher.publish('sensors/a/temp', '{"temp":35}', { qos: 1 });
      const [topic, payload, packet] = await got;
      assert.equal(topic, 'alerts/sensor-7');
      assert.equal(payload.toString(), '35');
      assert.equal(packet.qos, 1);
      assert.deepEqual({ ...packet.properties?.userProperties }, { from: 'sensor-7' });
      const view = h.server.rules!.getRule('hot');
      assert.equal(view.metrics.matched, 2);
      assert.equal(view.metrics.passed, 1);
      assert.equal(view.metrics.failed.no_result, 1);
      assert.equal(view.metrics.actions.success, 1);
      // Retained: a later subscriber gets it too.
      const late = await connect(url(), { clientId: 'late' });
      const retained = new Promise<Message>((r) => late.once('message', r));
      await late.subscribe('alerts/#');
      const m = await retained;
      assert.equal(m.retain, true);
      assert.equal(text(m), '35');
      await late.end({ force: true });
    } finally {
      await sub.endAsync(true);
    }
  });

  it('rules matching one message run in creation order', async () => {
    const sub = await h.connected({ clientId: 'order-sub' });
    await sub.subscribe(['order/out']);
    await publisher.publish('order/in', 'go', { qos: 1 });
    const a = await sub.receive();
    const b = await sub.receive();
    assert.deepEqual([text(a), text(b)], ['first', 'second']);
    assert.equal(h.server.rules!.getRule('first').metrics.matched, 1);
    assert.equal(h.server.rules!.getRule('second').metrics.matched, 1);
  });

  it('loop guard: a rule republishing into its own FROM stops at depth 8, counted as dropped', async () => {
    const sub = await h.connected({ clientId: 'loop-sub' });
    await sub.subscribe(['loop/#']);
    await publisher.publish('loop/start', 'x', { qos: 1 });
    const got = await sub.collect(300);
    // The first message plus 8 republished ones; the 9th republish is refused.
    assert.equal(got.length, 9);
    const view = h.server.rules!.getRule('loop');
    assert.equal(view.metrics.matched, 9);
    assert.equal(view.metrics.actions.success, 8);
    assert.equal(view.metrics.actions.dropped, 1);
    assert.equal(h.server.rules!.engine.loopDropped, 1);
  });

  it('an input the SQL fails on counts as failed.exception; the next one passes', async () => {
    const sub = await h.connected({ clientId: 'math-sub' });
    await sub.subscribe(['squares/#']);
    await publisher.publish('math/1', '{"x":1e300}', { qos: 1 });
    await publisher.publish('math/1', '{"x":3}', { qos: 1 });
    assert.equal(text(await sub.receive()), '9');
    const view = h.server.rules!.getRule('math');
    assert.deepEqual(
      [view.metrics.matched, view.metrics.failed.exception, view.metrics.passed],
      [2, 1, 1],
    );
  });

  it('${payload} republishes the bytes as they came; each client gets its own topic', async () => {
    const sub = await h.connected({ clientId: 'echo-sub' });
    await sub.subscribe(['echoed/#']);
    const other = await connect(url(), { clientId: 'sensor-8' });
    try {
      // Not UTF-8: the bytes must not go through text.
      const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80]);
      for (const client of [publisher, other, publisher])
        await client.publish('echo/x', bytes, { qos: 1 });
      const got = [await sub.receive(), await sub.receive(), await sub.receive()];
      assert.deepEqual(
        got.map((m) => m.topic),
        ['echoed/sensor-7', 'echoed/sensor-8', 'echoed/sensor-7'],
      );
      for (const m of got) assert.deepEqual(Buffer.from(m.payload), bytes);
    } finally {
      await other.end({ force: true });
    }
  });

  it('a rule gets every field it reads (id, timestamp, pub_props, payload) though others read fewer', async () => {
    const sub = await h.connected({ clientId: 'fields-sub' });
    await sub.subscribe(['fields-out/#']);
    const before = Date.now();
    await publisher.publish('fields/1', '{"v":5}', {
      qos: 1,
      properties: { userProperties: [['k', 'v']] },
    });
    const output = JSON.parse(text(await sub.receive())) as Record<string, unknown>;
    assert.equal(typeof output.id, 'string');
    assert.ok((output.id as string).length > 0);
    assert.ok((output.timestamp as number) >= before && (output.timestamp as number) <= Date.now());
    assert.deepEqual((output.pub_props as Record<string, unknown>)['User-Property'], { k: 'v' });
    assert.equal(output.v, 5);
  });

  it('two rules on one message each see what they read (one reads payload, one not)', async () => {
    const sub = await h.connected({ clientId: 'union-sub' });
    await sub.subscribe(['union-out/#']);
    await publisher.publish('union/1', '{"v":"x"}', { qos: 1 });
    const got = [await sub.receive(), await sub.receive()];
    assert.deepEqual(got.map(text).sort(), ['a:x', 'b:sensor-7']);
  });

  it('a template that renders an invalid topic fails the action, the broker goes on', async () => {
    await publisher.publish('bad/x', 'p', { qos: 1 });
    await sleep(50);
    const view = h.server.rules!.getRule('broken');
    assert.equal(view.metrics.passed, 1);
    assert.equal(view.metrics.actions.failed, 1);
    assert.equal(view.metrics.actions.success, 0);
  });
});
