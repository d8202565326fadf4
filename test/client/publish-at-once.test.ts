// client.publishAtOnce(): a QoS 0 PUBLISH without a promise for code that keeps its own buffer
// (the MQTT bridge), against a scripted broker that shows what went on the wire.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type MqttClient, connect } from '../../src/client/index.js';
import { type Packet, PacketType, type PublishPacket } from '../../src/protocol/index.js';
import { type FakeBroker, startFakeBroker } from './fake-broker.js';

const isPublish = (p: Packet): p is PublishPacket => p.type === PacketType.Publish;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let broker: FakeBroker | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  client?.destroy();
  await broker?.close();
  client = undefined;
  broker = undefined;
});

describe('client.publishAtOnce', () => {
  it('sends QoS 0 PUBLISHes in call order and says so', async () => {
    broker = await startFakeBroker();
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    for (let i = 0; i < 50; i++) {
      assert.equal(client.publishAtOnce(`now/${i % 3}`, Buffer.from(String(i)), i === 49), true);
    }
    await conn.waitFor((p) => conn.packets.filter(isPublish).length === 50);
    const sent = conn.packets.filter(isPublish);
    assert.deepEqual(
      sent.map((p) => Buffer.from(p.payload).toString()),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.ok(sent.every((p) => p.qos === 0 && p.retain === (p === sent[49])));
  });

  it('[MQTT-3.3.4-7] false, sending nothing, while a QoS 1 message waits for quota ahead of it', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { receiveMaximum: 1 } }) });
    client = await connect(broker.url, { reconnect: false });
    const conn = await broker.connection(0);
    client.publish('q/1', 'a', { qos: 1 }).catch(() => {});
    client.publish('q/1', 'b', { qos: 1 }).catch(() => {}); // queued: the quota is 1
    assert.equal(client.publishAtOnce('q/0', Buffer.from('c'), false), false);
    await sleep(50);
    assert.deepEqual(
      conn.packets.filter(isPublish).map((p) => Buffer.from(p.payload).toString()),
      ['a'],
    );
  });

  it('[MQTT-3.2.2-15] throws for a message the broker would refuse; false once ended', async () => {
    broker = await startFakeBroker({ connack: () => ({ properties: { maximumPacketSize: 64 } }) });
    client = await connect(broker.url, { reconnect: false });
    assert.throws(() => client!.publishAtOnce('big', Buffer.alloc(100), false), {
      code: 'PACKET_TOO_LARGE',
    });
    assert.throws(() => client!.publishAtOnce('bad/#', Buffer.from('x'), false), {
      code: 'INVALID_ARGUMENT',
    });
    await client.end();
    assert.equal(client.publishAtOnce('late', Buffer.from('x'), false), false);
  });
});
