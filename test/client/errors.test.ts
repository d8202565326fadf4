// Failures surface as typed errors carrying the broker's reason code and reason string, and
// no operation ever leaves an unhandled rejection behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ConnectionError,
  ConnectionRefusedError,
  MqttClientError,
  ProtocolVersion,
  PublishError,
  ReasonCode,
  ServerDisconnectError,
  SubscribeError,
  connect,
  reasonCodeName,
} from '../../src/client/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { type TestBroker, freePort, startBroker } from './brokers.js';
import { startFakeBroker } from './fake-broker.js';

describe('typed errors', () => {
  let secured: TestBroker;
  before(async () => {
    // Mosquitto 2 with anonymous access off and no password file refuses every CONNECT.
    secured = await startBroker('mosquitto', { extraConfig: ['allow_anonymous false'] });
  });
  after(() => secured.stop());

  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    it(`refused CONNECT (protocol ${protocolVersion}) rejects with ConnectionRefusedError`, async () => {
      const error = await connect(secured.url, {
        protocolVersion,
        username: 'u',
        password: 'p',
      }).then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConnectionRefusedError);
      assert.equal(error.code, 'CONNECTION_REFUSED');
      // 3.1.1 return code 5 (Not authorized) is mapped to the 5.0 code.
      assert.equal(error.reasonCode, ReasonCode.NotAuthorized);
      assert.match(error.message, /NotAuthorized \(0x87\)/);
    });
  }

  it('an unreachable broker rejects with ConnectionError', async () => {
    const port = await freePort();
    const error = await connect(`mqtt://127.0.0.1:${port}`).catch((e: unknown) => e);
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.code, 'CONNECTION_LOST');
  });

  it('a refused PUBLISH rejects with PublishError (reason code and string)', async () => {
    const broker = await startFakeBroker({
      onPacket: (p, c) => {
        if (p.type !== PacketType.Publish) return;
        c.send({
          type: PacketType.Puback,
          packetId: p.packetId!,
          reasonCode: ReasonCode.NotAuthorized,
          properties: { reasonString: 'no writes here' },
        });
      },
    });
    const client = await connect(broker.url, { reconnect: false });
    const error = await client.publish('e/t', 'x', { qos: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof PublishError);
    assert.equal(error.reasonCode, ReasonCode.NotAuthorized);
    assert.equal(error.reasonString, 'no writes here');
    assert.equal(error.message, "Publish to 'e/t' failed: NotAuthorized (0x87): no writes here");
    client.destroy();
    await broker.close();
  });

  it('a refused filter rejects with SubscribeError carrying every code', async () => {
    const broker = await startFakeBroker({
      onPacket: (p, c) => {
        if (p.type !== PacketType.Subscribe) return;
        c.send({
          type: PacketType.Suback,
          packetId: p.packetId,
          reasonCodes: [ReasonCode.GrantedQoS1, ReasonCode.TopicFilterInvalid],
          properties: {},
        });
      },
    });
    const client = await connect(broker.url, { reconnect: false });
    const error = await client.subscribe(['ok/#', 'bad/#'], { qos: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof SubscribeError);
    assert.deepEqual(error.reasonCodes, [1, ReasonCode.TopicFilterInvalid]);
    assert.equal(error.reasonCode, ReasonCode.TopicFilterInvalid);
    assert.match(error.message, /'bad\/#'.*TopicFilterInvalid \(0x8f\)/);
    client.destroy();
    await broker.close();
  });

  it('a server DISCONNECT fails pending work with ServerDisconnectError', async () => {
    const broker = await startFakeBroker({
      onPacket: (p, c) => {
        if (p.type !== PacketType.Publish) return;
        c.send({
          type: PacketType.Disconnect,
          reasonCode: ReasonCode.AdministrativeAction,
          properties: { reasonString: 'kicked' },
        });
      },
    });
    const client = await connect(broker.url, { reconnect: false });
    const offline = new Promise<Error | undefined>((resolve) => client.on('offline', resolve));
    const error = await client.publish('e/kick', 'x', { qos: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof ServerDisconnectError);
    assert.equal(error.reasonCode, ReasonCode.AdministrativeAction);
    assert.equal(error.reasonString, 'kicked');
    assert.ok((await offline) instanceof ServerDisconnectError);
    await broker.close();
  });

  it('invalid arguments reject with INVALID_ARGUMENT and the rule reason code', async () => {
    const broker = await startFakeBroker();
    const client = await connect(broker.url, { reconnect: false });
    await assert.rejects(client.publish('a/+/b', 'x'), {
      code: 'INVALID_ARGUMENT',
      reasonCode: ReasonCode.TopicNameInvalid,
    });
    await assert.rejects(client.subscribe('a/#/b'), {
      code: 'INVALID_ARGUMENT',
      reasonCode: ReasonCode.TopicFilterInvalid,
    });
    await assert.rejects(client.subscribe([]), { code: 'INVALID_ARGUMENT' });
    client.destroy();
    await broker.close();
  });

  it('never leaves an unhandled rejection, even for ignored promises', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const broker = await startFakeBroker(); // acknowledges nothing
      const client = await connect(broker.url, { reconnect: false });
      void client.publish('bad/+', 'x');
      void client.publish('u/t', 'x', { qos: 1 }); // pending, then failed by end()
      void client.subscribe('u/#');
      void client.unsubscribe('u/#');
      void client.request('u/req', 'x', { timeout: 50 });
      await client.end({ force: true });
      void client.publish('u/t', 'x');
      await broker.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('names reason codes by the spec', () => {
    assert.equal(reasonCodeName(0x87), 'NotAuthorized (0x87)');
    assert.equal(reasonCodeName(0x00), 'Success (0x00)');
    assert.equal(reasonCodeName(0x9b), 'QoSNotSupported (0x9b)');
    assert.ok(new PublishError('t', 0x80) instanceof MqttClientError);
  });
});
