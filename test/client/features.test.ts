// 5.0 features and transports against real brokers: request/response, Topic Aliases end to
// end, user properties, and MQTT over WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Message, type MqttClient, ProtocolVersion, connect } from '../../src/client/index.js';
import { type TestBroker, brokerKinds, startBroker } from './brokers.js';

const text = (m: Message) => Buffer.from(m.payload).toString();

function next(client: MqttClient, topic: string): Promise<Message> {
  return new Promise((resolve) => {
    const listener = (m: Message) => {
      if (m.topic !== topic) return;
      client.off('message', listener);
      resolve(m);
    };
    client.on('message', listener);
  });
}

for (const kind of await brokerKinds()) {
  describe(`client features against ${kind}`, () => {
    let broker: TestBroker;
    const clients: MqttClient[] = [];
    const open = async (
      url = broker.url,
      protocolVersion: ProtocolVersion = ProtocolVersion.V5,
    ) => {
      const client = await connect(url, { protocolVersion });
      clients.push(client);
      return client;
    };
    before(async () => {
      broker = await startBroker(kind);
    });
    after(async () => {
      for (const c of clients) c.destroy();
      await broker.stop();
    });

    it('request/response: Response Topic and Correlation Data round trip', async () => {
      const [service, caller] = [await open(), await open()];
      await service.subscribe('svc/echo', { qos: 1 });
      service.on('message', (m) => {
        if (m.topic === 'svc/echo') void service.respond(m, `pong:${text(m)}`, { qos: 1 });
      });
      const replies = await Promise.all([
        caller.request('svc/echo', 'a', { qos: 1 }),
        caller.request('svc/echo', 'b', { qos: 1 }),
      ]);
      assert.deepEqual(replies.map(text), ['pong:a', 'pong:b']);
      await assert.rejects(caller.request('svc/nobody', 'x', { timeout: 100 }), {
        code: 'REQUEST_TIMEOUT',
      });
    });

    it('request() needs MQTT 5.0', async () => {
      const old = await open(broker.url, ProtocolVersion.V311);
      await assert.rejects(old.request('svc/echo', 'x'), { code: 'UNSUPPORTED' });
    });

    it('topic aliases are transparent end to end', async () => {
      const [publisher, subscriber] = [await open(), await open()];
      await subscriber.subscribe('alias/#', { qos: 1 });
      const topics = Array.from({ length: 40 }, (_, i) => `alias/${i % 20}`);
      const got: string[] = [];
      const done = new Promise<void>((resolve) =>
        subscriber.on('message', (m) => {
          if (m.topic.startsWith('alias/') && got.push(`${m.topic}=${text(m)}`) === topics.length) {
            resolve();
          }
        }),
      );
      for (const [i, topic] of topics.entries()) await publisher.publish(topic, `${i}`, { qos: 1 });
      await done;
      assert.deepEqual(
        got,
        topics.map((t, i) => `${t}=${i}`),
      );
    });

    it('carries user properties, content type and message expiry', async () => {
      const [publisher, subscriber] = [await open(), await open()];
      await subscriber.subscribe('props/t', { qos: 1 });
      const received = next(subscriber, 'props/t');
      await publisher.publish('props/t', '{}', {
        qos: 1,
        properties: {
          userProperties: [
            ['a', '1'],
            ['a', '2'],
          ],
          contentType: 'application/json',
          messageExpiryInterval: 60,
        },
      });
      const m = await received;
      assert.deepEqual(m.properties.userProperties, [
        ['a', '1'],
        ['a', '2'],
      ]);
      assert.equal(m.properties.contentType, 'application/json');
      assert.ok((m.properties.messageExpiryInterval ?? 0) > 0);
    });

    it('speaks MQTT over WebSocket (ws://)', async () => {
      assert.ok(broker.wsUrl);
      const [wsClient, tcpClient] = [await open(broker.wsUrl), await open()];
      await wsClient.subscribe('ws/t', { qos: 1 });
      const received = next(wsClient, 'ws/t');
      await tcpClient.publish('ws/t', 'over ws', { qos: 1 });
      assert.equal(text(await received), 'over ws');
      await wsClient.publish('ws/back', 'x', { qos: 2 });
      await wsClient.end();
    });
  });
}
