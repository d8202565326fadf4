// Core client behaviour against real brokers: connect, publish at each QoS, subscribe,
// messages as events and as an async iterator, unsubscribe, end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Message,
  type MqttClient,
  ProtocolVersion,
  ReasonCode,
  connect,
} from '../../src/client/index.js';
import { type TestBroker, brokerKinds, startBroker } from './brokers.js';

const text = (m: Message) => Buffer.from(m.payload).toString();

/** Collects `count` messages from the iterator, failing after `ms`. */
async function take(client: MqttClient, filter: string, count: number, ms = 5_000) {
  const got: Message[] = [];
  const stream = client.messages(filter);
  const timer = setTimeout(() => stream.return(), ms);
  for await (const message of stream) {
    got.push(message);
    if (got.length === count) break;
  }
  clearTimeout(timer);
  return got;
}

for (const kind of await brokerKinds()) {
  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    describe(`client core against ${kind}, protocol ${protocolVersion}`, () => {
      let broker: TestBroker;
      const clients: MqttClient[] = [];
      const open = async (clientId?: string) => {
        const client = await connect(broker.url, { protocolVersion, clientId });
        clients.push(client);
        return client;
      };
      before(async () => {
        broker = await startBroker(kind);
      });
      after(async () => {
        await Promise.all(clients.map((c) => c.end({ force: true })));
        await broker.stop();
      });

      it('connects and reports the CONNACK', async () => {
        const client = await open();
        assert.equal(client.connected, true);
        assert.equal(client.connack?.reasonCode, 0);
        assert.equal(client.connack?.sessionPresent, false);
        if (protocolVersion === ProtocolVersion.V5) assert.ok(client.clientId.length > 0);
      });

      it('publishes at QoS 0, 1 and 2 and receives each at the granted QoS', async () => {
        const client = await open();
        const granted = await client.subscribe('core/qos/#', { qos: 2 });
        assert.deepEqual(granted, [2]);
        const received = take(client, 'core/qos/#', 3);
        assert.equal(await client.publish('core/qos/0', 'zero'), undefined);
        const r1 = await client.publish('core/qos/1', 'one', { qos: 1 });
        assert.ok(r1 && r1.reasonCode < 0x80);
        const r2 = await client.publish('core/qos/2', 'two', { qos: 2 });
        assert.ok(r2 && r2.reasonCode < 0x80);
        const messages = await received;
        assert.deepEqual(
          messages.map((m) => [m.topic, text(m), m.qos]),
          [
            ['core/qos/0', 'zero', 0],
            ['core/qos/1', 'one', 1],
            ['core/qos/2', 'two', 2],
          ],
        );
      });

      it('delivers between two clients as events, in order', async () => {
        const [publisher, subscriber] = [await open(), await open()];
        await subscriber.subscribe([{ topicFilter: 'core/order', qos: 1 }]);
        const got: string[] = [];
        const done = new Promise<void>((resolve) => {
          subscriber.on('message', (m) => {
            got.push(text(m));
            if (got.length === 200) resolve();
          });
        });
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            publisher.publish('core/order', `${i}`, { qos: 1 }),
          ),
        );
        await done;
        assert.deepEqual(
          got,
          Array.from({ length: 200 }, (_, i) => `${i}`),
        );
      });

      it('filters the async iterator by topic filter', async () => {
        const client = await open();
        await client.subscribe(['core/iter/a/#', 'core/iter/b/#']);
        const onlyB = take(client, 'core/iter/b/#', 2);
        for (const topic of ['core/iter/a/1', 'core/iter/b/1', 'core/iter/a/2', 'core/iter/b/2']) {
          await client.publish(topic, topic);
        }
        assert.deepEqual(
          (await onlyB).map((m) => m.topic),
          ['core/iter/b/1', 'core/iter/b/2'],
        );
      });

      it('receives retained messages with the retain flag', async () => {
        const client = await open();
        await client.publish('core/retained', 'kept', { qos: 1, retain: true });
        const got = take(client, 'core/retained', 1);
        await client.subscribe('core/retained');
        const [message] = await got;
        assert.equal(message?.retain, true);
        assert.equal(text(message!), 'kept');
        await client.publish('core/retained', '', { qos: 1, retain: true });
      });

      it('stops delivery after unsubscribe', async () => {
        const client = await open();
        await client.subscribe('core/unsub');
        const codes = await client.unsubscribe('core/unsub');
        assert.deepEqual(codes, protocolVersion === ProtocolVersion.V5 ? [0] : []);
        let count = 0;
        client.on('message', (m) => {
          if (m.topic === 'core/unsub') count++;
        });
        await client.publish('core/unsub', 'x', { qos: 1 });
        // A QoS 1 round trip on another topic orders after any delivery of the first.
        await client.subscribe('core/unsub-probe');
        const probe = take(client, 'core/unsub-probe', 1);
        await client.publish('core/unsub-probe', 'p', { qos: 1 });
        await probe;
        assert.equal(count, 0);
      });

      it('sends the will when the connection drops without DISCONNECT', async () => {
        const watcher = await open();
        await watcher.subscribe('core/will', { qos: 1 });
        const will = take(watcher, 'core/will', 1);
        const dying = await connect(broker.url, {
          protocolVersion,
          will: { topic: 'core/will', payload: 'gone', qos: 1 },
          reconnect: false,
        });
        // 5.0: DISCONNECT with reason DisconnectWithWillMessage; 3.1.1: a dropped socket.
        if (protocolVersion === ProtocolVersion.V5)
          await dying.end({ reasonCode: ReasonCode.DisconnectWithWillMessage });
        else dying.destroy();
        const [message] = await will;
        assert.equal(text(message!), 'gone');
      });

      it('ends cleanly and rejects later operations with CLIENT_CLOSED', async () => {
        const client = await connect(broker.url, { protocolVersion });
        await client.end();
        assert.equal(client.connected, false);
        await assert.rejects(client.publish('core/closed', 'x'), { code: 'CLIENT_CLOSED' });
        await assert.rejects(client.subscribe('core/closed'), { code: 'CLIENT_CLOSED' });
      });
    });
  }
}
