// End to end: MQTT-SN clients over UDP and MQTT 5.0 clients (MQTT.js) over TCP on one broker.
// Section numbers are those of MQTT-SN v1.2.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { MqttSnClient, publishQosMinusOne } from '../../src/client/mqttsn.js';
import { decodeSn, SnMsgType as M, shortTopicId } from '../../src/mqttsn/index.js';
import { type Harness, mqttClient, RawPeer, startHarness, until } from './helpers.js';

const PREDEFINED = { 1: 'pre/one', 2: 'pre/two' };
const connectPacket = (clientId: string, duration = 30) =>
  ({
    type: M.Connect,
    will: false,
    cleanSession: true,
    protocolId: 1,
    duration,
    clientId,
  }) as const;

describe('MQTT-SN gateway end to end (IPv4)', { timeout: 60_000 }, () => {
  let h: Harness;
  const sn = (clientId: string, extra = {}) =>
    MqttSnClient.connect({
      host: h.host,
      port: h.snPort,
      clientId,
      predefinedTopics: PREDEFINED,
      retryMs: 500,
      ...extra,
    });

  before(async () => {
    h = await startHarness({ predefinedTopics: PREDEFINED });
  });
  after(() => h.close());

  it('5.4.4/5.4.5 CONNECT gets CONNACK accepted; the client shows as transport mqtt-sn', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      const connack = await peer.request(connectPacket('raw-1'));
      assert.deepEqual(connack, { type: M.Connack, returnCode: 0 });
      const connection = h.server.broker.core.clients.get('raw-1');
      assert.equal(connection?.transport.transport, 'mqtt-sn');
      assert.equal(connection?.protocolVersion, 5);
      assert.deepEqual(await peer.request({ type: M.Pingreq }), { type: M.Pingresp });
      assert.deepEqual(await peer.request({ type: M.Disconnect }), { type: M.Disconnect });
      await until(
        () => !h.server.broker.core.clients.has('raw-1'),
        'the broker to see the DISCONNECT',
      );
    } finally {
      peer.close();
    }
  });

  it('6.5/6.7 REGISTER then PUBLISH QoS 0, 1, 2 from MQTT-SN reach an MQTT 5.0 subscriber', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-sub');
    await client.subscribeAsync('sn/up/#', { qos: 2 });
    const peer = new RawPeer(h.host, h.snPort);
    try {
      await peer.request(connectPacket('raw-pub'));
      const regack = await peer.request({
        type: M.Register,
        topicId: 0,
        msgId: 1,
        topicName: 'sn/up/t',
      });
      assert.equal(regack.type, M.Regack);
      assert.ok(regack.type === M.Regack && regack.returnCode === 0 && regack.topicId > 0);
      const topicId = regack.topicId;
      const publish = (qos: 0 | 1 | 2, msgId: number, text: string) =>
        ({
          type: M.Publish,
          dup: false,
          qos,
          retain: false,
          topicIdType: 0,
          topicId,
          msgId,
          data: Buffer.from(text),
        }) as const;
      peer.send(publish(0, 0, 'q0'));
      assert.deepEqual(await peer.request(publish(1, 2, 'q1')), {
        type: M.Puback,
        topicId,
        msgId: 2,
        returnCode: 0,
      });
      assert.deepEqual(await peer.request(publish(2, 3, 'q2')), { type: M.Pubrec, msgId: 3 });
      assert.deepEqual(await peer.request({ type: M.Pubrel, msgId: 3 }), {
        type: M.Pubcomp,
        msgId: 3,
      });
      await until(() => messages.length === 3, 'three messages at the MQTT 5.0 subscriber');
      assert.deepEqual(
        messages.map((m) => [m.topic, m.payload, m.qos]),
        [
          ['sn/up/t', 'q0', 0],
          ['sn/up/t', 'q1', 1],
          ['sn/up/t', 'q2', 2],
        ],
      );
      // 6.7: an unknown topic id is refused with "invalid topic ID".
      const bad = await peer.request({ ...publish(1, 4, 'x'), topicId: 999 });
      assert.deepEqual(bad, { type: M.Puback, topicId: 999, msgId: 4, returnCode: 2 });
    } finally {
      peer.close();
      await client.endAsync();
    }
  });

  it('6.9/6.10 an MQTT 5.0 publisher reaches an MQTT-SN wildcard subscriber at QoS 0, 1, 2 (REGISTER first)', async () => {
    const device = await sn('sn-sub');
    const got: [string, string, number][] = [];
    device.on('message', (m) => got.push([m.topic, m.payload.toString(), m.qos]));
    const { client } = await mqttClient(h.mqttUrl, 'v5-pub');
    try {
      const suback = await device.subscribe('sn/down/+', 2);
      assert.deepEqual(suback, { qos: 2, topicId: 0 });
      await client.publishAsync('sn/down/a', 'd0', { qos: 0 });
      await client.publishAsync('sn/down/a', 'd1', { qos: 1 });
      await client.publishAsync('sn/down/b', 'd2', { qos: 2 });
      await until(() => got.length === 3, 'three messages at the MQTT-SN subscriber');
      assert.deepEqual(got, [
        ['sn/down/a', 'd0', 0],
        ['sn/down/a', 'd1', 1],
        ['sn/down/b', 'd2', 2],
      ]);
    } finally {
      await device.disconnect();
      await client.endAsync();
    }
  });

  it('6.8 PUBLISH QoS -1 on a pre-defined id and on a short topic name, without a connection', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-qm1');
    try {
      await client.subscribeAsync(['pre/one', 'zz'], { qos: 1 });
      await publishQosMinusOne(h.host, h.snPort, { predefined: 1 }, 'minus-one');
      await publishQosMinusOne(h.host, h.snPort, { short: 'zz' }, 'short');
      await until(() => messages.length === 2, 'two QoS -1 messages');
      assert.deepEqual(messages.map((m) => [m.topic, m.payload, m.qos]).sort(), [
        ['pre/one', 'minus-one', 0],
        ['zz', 'short', 0],
      ]);
    } finally {
      await client.endAsync();
    }
  });

  it('6.8 pre-defined topic ids both ways: SUBACK names the id, PUBLISH carries it', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    const { client } = await mqttClient(h.mqttUrl, 'v5-pre');
    try {
      await peer.request(connectPacket('raw-pre'));
      const suback = await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 1,
        topicIdType: 1,
        msgId: 7,
        topic: 2,
      });
      assert.deepEqual(suback, { type: M.Suback, qos: 1, topicId: 2, msgId: 7, returnCode: 0 });
      const unknown = await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 1,
        topicIdType: 1,
        msgId: 8,
        topic: 77,
      });
      assert.deepEqual(unknown, { type: M.Suback, qos: 0, topicId: 0, msgId: 8, returnCode: 2 });
      await client.publishAsync('pre/two', 'p', { qos: 1 });
      const publish = await peer.next();
      assert.equal(publish.type, M.Publish);
      assert.ok(publish.type === M.Publish);
      assert.equal(publish.topicIdType, 1);
      assert.equal(publish.topicId, 2);
      assert.equal(publish.qos, 1);
      peer.send({ type: M.Puback, topicId: 2, msgId: publish.msgId, returnCode: 0 });
      // A short topic name comes back as one (TopicIdType 0b10).
      await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 0,
        topicIdType: 2,
        msgId: 9,
        topic: 'ab',
      });
      await client.publishAsync('ab', 's');
      const short = await peer.next();
      assert.ok(
        short.type === M.Publish && short.topicIdType === 2 && short.topicId === shortTopicId('ab'),
      );
    } finally {
      peer.close();
      await client.endAsync();
    }
  });

  it('retained messages: MQTT 5.0 → MQTT-SN subscriber, and MQTT-SN → later MQTT 5.0 subscriber', async () => {
    const { client: v5, messages } = await mqttClient(h.mqttUrl, 'v5-ret');
    const device = await sn('sn-ret');
    try {
      await v5.publishAsync('ret/from-v5', 'kept', { qos: 1, retain: true });
      const got: [string, boolean][] = [];
      device.on('message', (m) => got.push([m.payload.toString(), m.retain]));
      await device.subscribe('ret/from-v5', 1);
      await until(() => got.length === 1, 'the retained message at the MQTT-SN client');
      assert.deepEqual(got, [['kept', true]]);
      await device.publish('ret/from-sn', 'also kept', { qos: 1, retain: true });
      await v5.subscribeAsync('ret/from-sn', { qos: 1 });
      await until(() => messages.length === 1, 'the retained message at the MQTT 5.0 client');
      assert.deepEqual(messages[0], {
        topic: 'ret/from-sn',
        payload: 'also kept',
        qos: 1,
        retain: true,
      });
    } finally {
      await device.disconnect();
      await v5.endAsync();
    }
  });

  it('6.2/6.11 the will (WILLTOPICREQ, WILLMSGREQ prompts) goes out when keep-alive runs out', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-will');
    await client.subscribeAsync('will/+', { qos: 1 });
    const device = await sn('sn-will', {
      keepAlive: 1,
      will: { topic: 'will/sn', payload: 'gone', qos: 1 },
    });
    // The device dies silently: no DISCONNECT, no more PINGREQ.
    device.close();
    await until(() => messages.length === 1, 'the will after 1.5 x keep-alive', 6000);
    assert.deepEqual(messages[0], { topic: 'will/sn', payload: 'gone', qos: 1, retain: false });
    assert.ok(!h.server.broker.core.clients.has('sn-will'));
    await client.endAsync();
  });

  it('6.4 WILLTOPICUPD and WILLMSGUPD change the will; a normal DISCONNECT sends none', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-willupd');
    await client.subscribeAsync('will2/+', { qos: 1 });
    const device = await sn('sn-willupd', {
      keepAlive: 1,
      will: { topic: 'will2/old', payload: 'old' },
    });
    await device.updateWill('will2/new', 'new', 1);
    device.close();
    await until(() => messages.length === 1, 'the updated will', 6000);
    assert.deepEqual([messages[0]!.topic, messages[0]!.payload], ['will2/new', 'new']);
    const polite = await sn('sn-willupd2', { will: { topic: 'will2/polite', payload: 'x' } });
    await polite.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(messages.length, 1, 'no will after DISCONNECT');
    await client.endAsync();
  });

  it('6.14 sleep and wake: messages held while asleep come on the waking PINGREQ, then PINGRESP', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    const { client } = await mqttClient(h.mqttUrl, 'v5-sleep');
    try {
      await peer.request(connectPacket('sleeper'));
      await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 1,
        topicIdType: 0,
        msgId: 1,
        topic: 'sleep/t',
      });
      assert.deepEqual(await peer.request({ type: M.Disconnect, duration: 30 }), {
        type: M.Disconnect,
      });
      await client.publishAsync('sleep/t', 'one', { qos: 1 });
      await client.publishAsync('sleep/t', 'two', { qos: 0 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(peer.received.length, 0, 'nothing sent to a sleeping client');
      assert.ok(h.server.broker.core.clients.has('sleeper'), 'asleep is still connected');
      peer.send({ type: M.Pingreq, clientId: 'sleeper' });
      const first = await peer.next();
      const second = await peer.next();
      const pingresp = await peer.next();
      assert.ok(first.type === M.Publish && first.data.toString() === 'one' && first.qos === 1);
      assert.ok(second.type === M.Publish && second.data.toString() === 'two');
      assert.deepEqual(pingresp, { type: M.Pingresp });
      assert.equal(h.gateway.clientAt(h.host, peer.socket.address().port)?.state, 'asleep');
      peer.send({ type: M.Puback, topicId: first.topicId, msgId: first.msgId, returnCode: 0 });
      // A CONNECT makes it active again: messages flow at once.
      assert.deepEqual(await peer.request(connectPacket('sleeper')), {
        type: M.Connack,
        returnCode: 0,
      });
      await client.publishAsync('sleep/t', 'awake', { qos: 0 });
      const live = await peer.next();
      assert.ok(live.type === M.Publish && live.data.toString() === 'awake');
    } finally {
      peer.close();
      await client.endAsync();
    }
  });

  it('6.14 a client that sleeps past its duration is lost: its will goes out', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-sleepwill');
    await client.subscribeAsync('will3/+', { qos: 1 });
    const device = await sn('sn-sleepwill', { will: { topic: 'will3/sn', payload: 'overslept' } });
    await device.sleep(1);
    await until(() => messages.length === 1, 'the will after the sleep duration', 6000);
    assert.deepEqual([messages[0]!.topic, messages[0]!.payload], ['will3/sn', 'overslept']);
    assert.ok(!h.server.broker.core.clients.has('sn-sleepwill'));
    device.close();
    await client.endAsync();
  });

  it('6.3 CleanSession 0 keeps the session: a QoS 1 message sent while away arrives on reconnect', async () => {
    const options = { cleanSession: false };
    const first = await sn('sn-persist', options);
    await first.subscribe('persist/t', 1);
    await first.disconnect();
    const { client } = await mqttClient(h.mqttUrl, 'v5-persist');
    await client.publishAsync('persist/t', 'while away', { qos: 1 });
    const again = await MqttSnClient.connect({
      host: h.host,
      port: h.snPort,
      clientId: 'sn-persist',
      cleanSession: false,
      retryMs: 500,
    });
    const got: string[] = [];
    again.on('message', (m) => got.push(`${m.topic} ${m.payload}`));
    try {
      await until(
        () => got.length === 1,
        'the queued message (REGISTERed again on the new connection)',
      );
      assert.deepEqual(got, ['persist/t while away']);
    } finally {
      await again.disconnect();
      await client.endAsync();
    }
  });

  it('6.1 SEARCHGW gets GWINFO with the gateway id', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      assert.deepEqual(await peer.request({ type: M.SearchGw, radius: 0 }), {
        type: M.GwInfo,
        gatewayId: 1,
      });
    } finally {
      peer.close();
    }
  });
});

describe('MQTT-SN gateway: options, IPv6, ACLs', { timeout: 30_000 }, () => {
  it('6.1 sends ADVERTISE every advertiseInterval to advertiseHost:advertisePort', async () => {
    const listener = createSocket('udp4');
    await new Promise<void>((r) => listener.bind(0, '127.0.0.1', () => r()));
    const seen: Buffer[] = [];
    listener.on('message', (d) => seen.push(d));
    const h = await startHarness({
      gatewayId: 9,
      advertiseInterval: 1,
      advertiseHost: '127.0.0.1',
      advertisePort: listener.address().port,
    });
    try {
      await until(() => seen.length >= 2, 'two ADVERTISE messages', 4000);
      assert.deepEqual(decodeSn(seen[0]!), { type: M.Advertise, gatewayId: 9, duration: 1 });
    } finally {
      await h.close();
      listener.close();
    }
  });

  it('6.13 an unacknowledged QoS 1 PUBLISH is sent again with DUP after retryInterval; after Nretry the client is lost', async () => {
    const h = await startHarness({ retryInterval: 1 });
    const peer = new RawPeer(h.host, h.snPort);
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-retry');
    try {
      await client.subscribeAsync('retry/will', { qos: 1 });
      const connect = {
        type: M.Connect,
        will: true,
        cleanSession: true,
        protocolId: 1,
        duration: 60,
        clientId: 'sn-retry',
      } as const;
      await peer.request(connect);
      await peer.request({ type: M.WillTopic, qos: 1, retain: false, willTopic: 'retry/will' });
      assert.deepEqual(
        await peer.request({ type: M.WillMsg, willMessage: Buffer.from('unreachable') }),
        { type: M.Connack, returnCode: 0 },
      );
      await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 1,
        topicIdType: 2,
        msgId: 1,
        topic: 'rt',
      });
      await client.publishAsync('rt', 'again', { qos: 1 });
      const first = await peer.next();
      assert.ok(first.type === M.Publish && !first.dup && first.qos === 1);
      const second = await peer.next(4000);
      assert.ok(
        second.type === M.Publish && second.dup && second.msgId === first.msgId,
        'sent again with DUP',
      );
      // Acknowledged now: no third copy.
      peer.send({ type: M.Puback, topicId: second.topicId, msgId: second.msgId, returnCode: 0 });
      await client.publishAsync('rt', 'never acked', { qos: 1 });
      const third = await peer.next();
      assert.ok(third.type === M.Publish && third.data.toString() === 'never acked');
      // Three sends unanswered (6.13): the client is lost and its will goes out.
      await until(
        () => messages.length === 1,
        'the will of a client that stopped acknowledging',
        8000,
      );
      assert.equal(messages[0]!.payload, 'unreachable');
      const copies = peer.received.filter((p) => p.type === M.Publish);
      assert.equal(copies.length, 2, 'two more copies of the unanswered PUBLISH');
    } finally {
      peer.close();
      await client.endAsync();
      await h.close();
    }
  });

  it('serves IPv6 (::1) like IPv4', async () => {
    const h = await startHarness({}, '::1');
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-six');
    try {
      await client.subscribeAsync('six/#', { qos: 1 });
      const device = await MqttSnClient.connect({
        host: '::1',
        port: h.snPort,
        clientId: 'sn-six',
      });
      await device.publish('six/t', 'v6', { qos: 1 });
      await until(() => messages.length === 1, 'the message over IPv6');
      assert.equal(h.server.broker.core.clients.get('sn-six')?.remoteAddress, '::1');
      await device.disconnect();
    } finally {
      await client.endAsync();
      await h.close();
    }
  });

  it('the authenticate hook sees transport mqtt-sn and the gateway\'s credentials; a refusal is CONNACK "not supported"', async () => {
    const seen: unknown[] = [];
    const h = await startHarness({ username: 'gateway', password: 'gw-secret' }, '127.0.0.1', {
      authenticate: (request) => {
        seen.push([
          request.clientId,
          request.transport,
          request.username,
          request.password?.toString(),
        ]);
        return request.clientId !== 'sn-banned';
      },
    });
    try {
      const ok = await MqttSnClient.connect({
        host: h.host,
        port: h.snPort,
        clientId: 'sn-welcome',
      });
      await ok.disconnect();
      await assert.rejects(
        MqttSnClient.connect({ host: h.host, port: h.snPort, clientId: 'sn-banned', retries: 1 }),
        /CONNECT: rejected: not supported/,
      );
      assert.deepEqual(seen, [
        ['sn-welcome', 'mqtt-sn', 'gateway', 'gw-secret'],
        ['sn-banned', 'mqtt-sn', 'gateway', 'gw-secret'],
      ]);
    } finally {
      await h.close();
    }
  });

  it('ACLs by client id apply to MQTT-SN clients: a denied PUBLISH gets "not supported"', async () => {
    const h = await startHarness({}, '127.0.0.1', {
      authorizePublish: (client, topic) =>
        !(client.clientId === 'sn-denied' && topic.startsWith('secret/')),
    });
    try {
      const device = await MqttSnClient.connect({
        host: h.host,
        port: h.snPort,
        clientId: 'sn-denied',
      });
      await assert.rejects(device.publish('secret/x', 'no', { qos: 1 }), /not supported/);
      await device.publish('open/x', 'yes', { qos: 1 });
      await device.disconnect();
    } finally {
      await h.close();
    }
  });
});
