// Hostile datagrams and the gateway's bounds: each is dropped and counted (or answered as
// MQTT-SN v1.2 says), and the other clients carry on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RateLimits } from '../../src/gateway/rate.js';
import { SnMsgType as M } from '../../src/mqttsn/index.js';
import { type Harness, mqttClient, RawPeer, startHarness, until } from './helpers.js';

const connect = (clientId: string) =>
  ({
    type: M.Connect,
    will: false,
    cleanSession: true,
    protocolId: 1,
    duration: 30,
    clientId,
  }) as const;

describe('MQTT-SN gateway: hostile datagrams', { timeout: 30_000 }, () => {
  let h: Harness;
  const dropped = () => h.server.broker.core.stats.mqttsn.dropped;

  before(async () => {
    h = await startHarness({ maxTopicsPerClient: 2, maxSleepBuffer: 3 });
  });
  after(() => h.close());

  it('5.2 short, truncated, wrong-length and unknown-type datagrams are dropped and counted', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      await peer.request(connect('victim'));
      const before = { ...dropped() };
      peer.send(Buffer.from([7]));
      peer.send(Buffer.from([9, 0x0c, 0x20, 0, 1]));
      peer.send(Buffer.from([3, 0x16]));
      peer.send(Buffer.from([0x01, 0x00]));
      peer.send(Buffer.from([2, 0x03]));
      peer.send(Buffer.from([2, 0xee]));
      await until(() => dropped().malformed === before.malformed + 4, 'four malformed');
      await until(() => dropped().unknownType === before.unknownType + 2, 'two unknown types');
      // The client at that address is unharmed.
      assert.deepEqual(await peer.request({ type: M.Pingreq }), { type: M.Pingresp });
    } finally {
      peer.close();
    }
  });

  it('messages from an address with no connection are dropped (a QoS -1 PUBLISH aside)', async () => {
    const stranger = new RawPeer(h.host, h.snPort);
    try {
      const before = dropped().notConnected;
      stranger.send({
        type: M.Subscribe,
        dup: false,
        qos: 0,
        topicIdType: 0,
        msgId: 1,
        topic: '#',
      });
      stranger.send({ type: M.Pingreq, clientId: 'victim' });
      await until(() => dropped().notConnected === before + 2, 'two dropped as not connected');
      assert.equal(stranger.received.length, 0);
    } finally {
      stranger.close();
    }
  });

  it('6.14 a PINGREQ naming another client id is dropped as spoofed', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      await peer.request(connect('honest'));
      const before = dropped().spoofed;
      peer.send({ type: M.Pingreq, clientId: 'victim' });
      await until(() => dropped().spoofed === before + 1, 'a spoofed PINGREQ counted');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.received.length, 0, 'no PINGRESP to a spoofed wake-up');
    } finally {
      peer.close();
    }
  });

  it('a CONNECT naming a connected client id from another address takes the session over (as in MQTT); the first is told DISCONNECT', async () => {
    const first = new RawPeer(h.host, h.snPort);
    const second = new RawPeer(h.host, h.snPort);
    try {
      await first.request(connect('twin'));
      assert.deepEqual(await second.request(connect('twin')), { type: M.Connack, returnCode: 0 });
      assert.deepEqual(await first.next(), { type: M.Disconnect });
      const port = (peer: RawPeer) => peer.socket.address().port;
      await until(
        () => h.gateway.clientAt(h.host, port(first)) === undefined,
        'the first forgotten',
      );
      assert.equal(h.gateway.clientAt(h.host, port(second))?.clientId, 'twin');
    } finally {
      first.close();
      second.close();
    }
  });

  it('6.13 a CONNECT sent again during the will prompts gets the prompt again, not a new session', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      const connect = {
        type: M.Connect,
        will: true,
        cleanSession: true,
        protocolId: 1,
        duration: 30,
        clientId: 'prompted',
      } as const;
      assert.deepEqual(await peer.request(connect), { type: M.WillTopicReq });
      assert.deepEqual(await peer.request(connect), { type: M.WillTopicReq });
      assert.deepEqual(
        await peer.request({ type: M.WillTopic, qos: 0, retain: false, willTopic: 'w' }),
        { type: M.WillMsgReq },
      );
      assert.deepEqual(await peer.request(connect), { type: M.WillMsgReq });
      assert.deepEqual(await peer.request({ type: M.WillMsg, willMessage: Buffer.from('x') }), {
        type: M.Connack,
        returnCode: 0,
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.received.length, 0, 'one CONNACK only');
    } finally {
      peer.close();
    }
  });

  it("6.10 a REGACK refusing the gateway's REGISTER drops that QoS 2 message and finishes it with the broker", async () => {
    const peer = new RawPeer(h.host, h.snPort);
    const { client } = await mqttClient(h.mqttUrl, 'v5-rej');
    try {
      await peer.request(connect('refuser'));
      await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 2,
        topicIdType: 0,
        msgId: 1,
        topic: 'rej/#',
      });
      const before = dropped().invalidTopic;
      await client.publishAsync('rej/x', 'unwanted', { qos: 2 });
      const register = await peer.next();
      assert.ok(register.type === M.Register && register.topicName === 'rej/x');
      peer.send({
        type: M.Regack,
        topicId: register.topicId,
        msgId: register.msgId,
        returnCode: 3,
      });
      await until(() => dropped().invalidTopic === before + 1, 'the message dropped');
      const session = h.server.broker.core.sessions.get('refuser')!;
      await until(
        () => session.inflight.size === 0,
        'the broker done with it (PUBREC, PUBREL, PUBCOMP)',
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(peer.received, [], 'neither PUBLISH nor PUBREL reached the client');
    } finally {
      peer.close();
      await client.endAsync();
    }
  });

  it('maxTopicsPerClient: a REGISTER beyond it gets "rejected: congestion"', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    try {
      await peer.request(connect('registrar'));
      for (const [msgId, name] of [
        [1, 'a/1'],
        [2, 'a/2'],
      ] as const)
        assert.equal(
          (
            (await peer.request({ type: M.Register, topicId: 0, msgId, topicName: name })) as {
              returnCode: number;
            }
          ).returnCode,
          0,
        );
      const third = await peer.request({
        type: M.Register,
        topicId: 0,
        msgId: 3,
        topicName: 'a/3',
      });
      assert.deepEqual(third, { type: M.Regack, topicId: 0, msgId: 3, returnCode: 1 });
      const wildcard = await peer.request({
        type: M.Register,
        topicId: 0,
        msgId: 4,
        topicName: 'a/+',
      });
      assert.deepEqual(wildcard, { type: M.Regack, topicId: 0, msgId: 4, returnCode: 3 });
    } finally {
      peer.close();
    }
  });

  it('maxSleepBuffer: a sleeping client gets the newest QoS 0 messages, the rest are dropped and counted', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    const { client } = await mqttClient(h.mqttUrl, 'v5-buffer');
    try {
      await peer.request(connect('dozer'));
      await peer.request({
        type: M.Subscribe,
        dup: false,
        qos: 0,
        topicIdType: 2,
        msgId: 1,
        topic: 'bf',
      });
      await peer.request({ type: M.Disconnect, duration: 60 });
      const before = dropped().bufferFull;
      for (let i = 0; i < 10; i++) await client.publishAsync('bf', `m${i}`);
      await until(() => dropped().bufferFull === before + 7, 'seven dropped');
      peer.send({ type: M.Pingreq, clientId: 'dozer' });
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = await peer.next();
        if (p.type === M.Publish) got.push(p.data.toString());
      }
      assert.deepEqual(got, ['m7', 'm8', 'm9']);
      assert.deepEqual(await peer.next(), { type: M.Pingresp });
    } finally {
      peer.close();
      await client.endAsync();
    }
  });

  it('maxClients: a CONNECT beyond it gets CONNACK "rejected: congestion"', async () => {
    const small = await startHarness({ maxClients: 2 });
    const peers = Array.from({ length: 3 }, () => new RawPeer(small.host, small.snPort));
    try {
      const codes: number[] = [];
      for (const [i, peer] of peers.entries()) {
        const answer = await peer.request(connect(`many-${i}`));
        codes.push(answer.type === M.Connack ? answer.returnCode : -1);
      }
      assert.deepEqual(codes, [0, 0, 1]);
      assert.equal(small.gateway.clientCount, 2);
    } finally {
      for (const peer of peers) peer.close();
      await small.close();
    }
  });
});

describe('MQTT-SN gateway: per-address rate', { timeout: 30_000 }, () => {
  it('a flood from one address is rate-limited; another client is served meanwhile', async () => {
    // A gateway of its own: a port of the flooder, reused by a later test's socket, would
    // still be out of tokens.
    const h = await startHarness({ datagramRate: 50 });
    const dropped = () => h.server.broker.core.stats.mqttsn.dropped;
    const flooder = new RawPeer(h.host, h.snPort);
    const other = new RawPeer(h.host, h.snPort);
    const { client, messages } = await mqttClient(h.mqttUrl, 'v5-flood');
    const stats = h.server.broker.core.stats.mqttsn;
    try {
      await client.subscribeAsync('flood/ok', { qos: 1 });
      await other.request(connect('calm'));
      const regack = await other.request({
        type: M.Register,
        topicId: 0,
        msgId: 1,
        topicName: 'flood/ok',
      });
      const topicId = regack.type === M.Regack ? regack.topicId : 0;
      const [limitedBefore, receivedBefore] = [dropped().rateLimited, stats.datagramsReceived];
      // In batches, so that the kernel's socket buffer does not drop the flood before we do.
      for (let i = 0; i < 300; i++) {
        flooder.send({ type: M.SearchGw, radius: 0 });
        if (i % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      const puback = await other.request({
        type: M.Publish,
        dup: false,
        qos: 1,
        retain: false,
        topicIdType: 0,
        topicId,
        msgId: 2,
        data: Buffer.from('x'),
      });
      assert.deepEqual(puback, { type: M.Puback, topicId, msgId: 2, returnCode: 0 });
      await until(() => messages.length === 1, "the calm client's message");
      await new Promise((r) => setTimeout(r, 200));
      const arrived = stats.datagramsReceived - receivedBefore - 1;
      const limited = dropped().rateLimited - limitedBefore;
      assert.ok(arrived > 100, `the flood arrived (${arrived})`);
      assert.equal(
        limited,
        arrived - flooder.received.length,
        'every datagram not answered was counted',
      );
      assert.ok(
        flooder.received.length <= 60,
        `at most a burst answered, got ${flooder.received.length}`,
      );
    } finally {
      flooder.close();
      other.close();
      await client.endAsync();
      await h.close();
    }
  });
});

describe('RateLimits', () => {
  it('allows a burst of `rate`, refills with time, and tracks at most maxAddresses', () => {
    const rates = new RateLimits(2, 2);
    assert.deepEqual(
      [rates.take('a', 0), rates.take('a', 0), rates.take('a', 0)],
      [true, true, false],
    );
    assert.equal(rates.take('a', 500), true);
    assert.equal(rates.take('b', 500), true);
    assert.equal(rates.take('c', 500), false, 'a third address is refused while two are tracked');
    rates.sweep(2000);
    assert.equal(rates.size, 0);
    assert.equal(rates.take('c', 2000), true);
  });
});
