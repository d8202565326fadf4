// Messages that arrive before the application listens: a persistent session's queue and
// retained messages come with or right after CONNACK / SUBACK, before `await connect()` or
// `await subscribe()` returns. They are acknowledged on arrival, so the client holds them
// (bounded) for the first 'message' listener or messages() iterator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Message, type MqttClient, ProtocolVersion, connect } from '../../src/client/index.js';
import { type TestBroker, brokerKinds, startBroker } from './brokers.js';

const text = (m: Message) => Buffer.from(m.payload).toString();

/** The first `count` messages of a messages() iterator, failing after `ms`. */
async function take(client: MqttClient, filter: string, count: number, ms = 5_000) {
  const got: string[] = [];
  const stream = client.messages(filter);
  const timer = setTimeout(() => stream.return(), ms);
  for await (const message of stream) {
    got.push(`${message.topic} ${text(message)}`);
    if (got.length === count) break;
  }
  clearTimeout(timer);
  return got;
}

for (const kind of await brokerKinds()) {
  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    describe(`messages before any listener, ${kind}, protocol ${protocolVersion}`, () => {
      let broker: TestBroker;
      let n = 0;
      const clients: MqttClient[] = [];
      const open = async (clientId: string, clean: boolean, maxHeldMessages?: number) => {
        const properties = clean ? undefined : { sessionExpiryInterval: 300 };
        const client = await connect(broker.url, {
          protocolVersion,
          clientId,
          clean,
          properties: protocolVersion === ProtocolVersion.V5 ? properties : undefined,
          maxHeldMessages,
          reconnect: false,
        });
        clients.push(client);
        return client;
      };
      /** A persistent session subscribed to `filter`, offline, with `count` QoS 1 messages queued. */
      const queueOffline = async (filter: string, topic: string, count: number) => {
        const clientId = `held-${protocolVersion}-${++n}`;
        const first = await open(clientId, false);
        assert.equal(first.sessionPresent, false);
        await first.subscribe(filter, { qos: 1 });
        await first.end();
        const publisher = await open(`held-pub-${protocolVersion}-${n}`, true);
        for (let i = 0; i < count; i++) await publisher.publish(topic, `m${i}`, { qos: 1 });
        return clientId;
      };
      before(async () => {
        broker = await startBroker(kind);
      });
      after(async () => {
        await Promise.all(clients.map((c) => c.end({ force: true })));
        await broker.stop();
      });

      it('[MQTT-3.2.2-2] a resumed session: sessionPresent is set and the queued messages reach messages()', async () => {
        const clientId = await queueOffline('held/a/#', 'held/a/x', 3);
        const client = await open(clientId, false);
        assert.equal(client.sessionPresent, true);
        assert.deepEqual(await take(client, 'held/a/#', 3), [
          'held/a/x m0',
          'held/a/x m1',
          'held/a/x m2',
        ]);
      });

      it('queued messages reach a message listener added after connect, in order', async () => {
        const clientId = await queueOffline('held/b/#', 'held/b/x', 3);
        const client = await open(clientId, false);
        await new Promise((resolve) => setTimeout(resolve, 200)); // all of them arrived
        const got: string[] = [];
        const done = new Promise<void>((resolve) =>
          client.on('message', (m) => got.push(text(m)) === 3 && resolve()),
        );
        await done;
        assert.deepEqual(got, ['m0', 'm1', 'm2']);
        assert.equal(client.droppedMessages, 0);
      });

      it('a message published before messages() is called reaches it (the README example)', async () => {
        const client = await open(`held-readme-${protocolVersion}`, true);
        await client.subscribe('held/readme/#', { qos: 1 });
        await client.publish('held/readme/a', '21.5', { qos: 1 });
        assert.deepEqual(await take(client, 'held/readme/#', 1), ['held/readme/a 21.5']);
      });

      it('holds at most maxHeldMessages and counts the rest as dropped', async () => {
        const clientId = await queueOffline('held/c/#', 'held/c/x', 5);
        const client = await open(clientId, false, 2);
        const deadline = Date.now() + 5_000;
        while (client.droppedMessages < 3 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(client.droppedMessages, 3);
        assert.deepEqual(await take(client, 'held/c/#', 2), ['held/c/x m0', 'held/c/x m1']);
      });
    });
  }
}
