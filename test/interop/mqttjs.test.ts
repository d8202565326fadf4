// Interop with MQTT.js 5 as both publisher and subscriber, protocol 3.1.1 and 5.0, over TCP
// and WebSocket: pub/sub at each QoS, QoS 2 completion, retained, will, shared subscriptions,
// a persistent session, and 5.0 properties and topic aliases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { Harness } from '../conformance/raw-client.js';

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown> | undefined;
}

/** Collects the messages (and raw packets) a client receives, with a bounded wait for a count. */
class Inbox {
  readonly messages: Received[] = [];
  readonly packets: Packet[] = [];
  constructor(client: MqttClient) {
    client.on('packetreceive', (packet) => this.packets.push(packet));
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload: payload.toString(),
        qos: packet.qos,
        retain: packet.retain,
        properties: packet.properties as Record<string, unknown> | undefined,
      });
    });
  }

  async wait(count: number, ms = 3_000): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (this.messages.length < count) {
      if (Date.now() > deadline)
        throw new Error(`got ${this.messages.length} of ${count} messages within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.messages.splice(0, count);
  }

  /** Asserts nothing more arrives for `ms`. */
  async quiet(ms = 200): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.messages, []);
  }
}

describe('interop: MQTT.js', () => {
  let h: Harness;
  const clients: MqttClient[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    await h.close();
  });

  for (const transport of ['tcp', 'ws'] as const) {
    for (const protocolVersion of [4, 5] as const) {
      describe(`${transport}, protocol ${protocolVersion}`, () => {
        const tag = `${transport}${protocolVersion}`;
        let n = 0;
        const url = () =>
          transport === 'tcp' ? `mqtt://127.0.0.1:${h.port}` : `ws://127.0.0.1:${h.wsPort}/mqtt`;
        /** Connects, with an inbox listening before CONNACK (queued messages follow it at once). */
        const open = (options: IClientOptions = {}) =>
          new Promise<MqttClient & { inbox: Inbox }>((resolve, reject) => {
            const client = connect(url(), {
              protocolVersion,
              clientId: `${tag}-${++n}`,
              reconnectPeriod: 0,
              connectTimeout: 3_000,
              ...options,
            });
            clients.push(client);
            const withInbox = Object.assign(client, { inbox: new Inbox(client) });
            client.once('connect', () => resolve(withInbox));
            client.once('error', reject);
          });

        it('publishes and subscribes at QoS 0, 1 and 2, the delivered QoS the lower of both', async () => {
          const sub = await open();
          const inbox = sub.inbox;
          const granted = await sub.subscribeAsync({
            [`${tag}/q/2`]: { qos: 2 },
            [`${tag}/q/1`]: { qos: 1 },
          });
          assert.deepEqual(
            granted.map((g) => g.qos),
            [2, 1],
          );
          const pub = await open();
          for (const qos of [0, 1, 2] as const) {
            await pub.publishAsync(`${tag}/q/2`, `two-${qos}`, { qos });
            await pub.publishAsync(`${tag}/q/1`, `one-${qos}`, { qos });
          }
          const got = await inbox.wait(6);
          const byPayload = Object.fromEntries(got.map((m) => [m.payload, m.qos]));
          assert.deepEqual(byPayload, {
            'two-0': 0,
            'two-1': 1,
            'two-2': 2,
            'one-0': 0,
            'one-1': 1,
            'one-2': 1,
          });
          await inbox.quiet();
          await pub.endAsync();
          await sub.endAsync();
        });

        it('completes QoS 2 publishes in order, each delivered exactly once', async () => {
          const sub = await open();
          const inbox = sub.inbox;
          await sub.subscribeAsync(`${tag}/exact`, { qos: 2 });
          const pub = await open();
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              pub.publishAsync(`${tag}/exact`, `${i}`, { qos: 2 }),
            ),
          );
          const got = await inbox.wait(20);
          assert.deepEqual(
            got.map((m) => m.payload),
            Array.from({ length: 20 }, (_, i) => `${i}`),
          );
          await inbox.quiet();
          await pub.endAsync();
          await sub.endAsync();
        });

        it('retained messages reach later subscribers with the retain flag, and can be cleared', async () => {
          const pub = await open();
          await pub.publishAsync(`${tag}/retained`, 'kept', { qos: 1, retain: true });
          const sub = await open();
          const inbox = sub.inbox;
          await sub.subscribeAsync(`${tag}/retained`, { qos: 1 });
          const [got] = await inbox.wait(1);
          assert.equal(got!.payload, 'kept');
          assert.equal(got!.retain, true);
          await pub.publishAsync(`${tag}/retained`, '', { qos: 1, retain: true });
          await inbox.wait(1);
          const late = await open();
          const lateInbox = late.inbox;
          await late.subscribeAsync(`${tag}/retained`, { qos: 1 });
          await lateInbox.quiet();
          await Promise.all([pub.endAsync(), sub.endAsync(), late.endAsync()]);
        });

        it('publishes the will when the connection drops, not after a clean end', async () => {
          const watcher = await open();
          const inbox = watcher.inbox;
          await watcher.subscribeAsync(`${tag}/will/#`, { qos: 1 });
          const polite = await open({
            will: {
              topic: `${tag}/will/polite`,
              payload: Buffer.from('no'),
              qos: 1,
              retain: false,
            },
          });
          await polite.endAsync();
          const dropped = await open({
            will: {
              topic: `${tag}/will/dropped`,
              payload: Buffer.from('bye'),
              qos: 1,
              retain: false,
            },
          });
          dropped.stream.destroy();
          const [got] = await inbox.wait(1);
          assert.equal(got!.topic, `${tag}/will/dropped`);
          assert.equal(got!.payload, 'bye');
          await inbox.quiet();
          await watcher.endAsync();
        });

        it('shares $share/group subscriptions between members', async () => {
          const a = await open();
          const b = await open();
          const inboxA = a.inbox;
          const inboxB = b.inbox;
          await a.subscribeAsync(`$share/g/${tag}/shared`, { qos: 1 });
          await b.subscribeAsync(`$share/g/${tag}/shared`, { qos: 1 });
          const pub = await open();
          for (let i = 0; i < 6; i++) await pub.publishAsync(`${tag}/shared`, `${i}`, { qos: 1 });
          await new Promise((r) => setTimeout(r, 200));
          const gotA = inboxA.messages.map((m) => m.payload);
          const gotB = inboxB.messages.map((m) => m.payload);
          assert.equal(gotA.length, 3);
          assert.equal(gotB.length, 3);
          assert.deepEqual([...gotA, ...gotB].sort(), ['0', '1', '2', '3', '4', '5']);
          await Promise.all([a.endAsync(), b.endAsync(), pub.endAsync()]);
        });

        it('keeps a persistent session: QoS 1 messages sent while offline arrive on reconnect', async () => {
          const clientId = `${tag}-persistent`;
          // A fresh persistent session: Clean Start 1 with an expiry in 5.0; Clean Session 0 in 3.1.1.
          const sessionOptions: IClientOptions = {
            clientId,
            clean: protocolVersion === 5,
            ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
          };
          const first = await open(sessionOptions);
          await first.subscribeAsync(`${tag}/offline`, { qos: 1 });
          await first.endAsync();
          const pub = await open();
          for (let i = 0; i < 3; i++) await pub.publishAsync(`${tag}/offline`, `${i}`, { qos: 1 });
          const second = await open({ ...sessionOptions, clean: false });
          const inbox = second.inbox;
          const got = await inbox.wait(3);
          assert.deepEqual(
            got.map((m) => m.payload),
            ['0', '1', '2'],
          );
          await second.endAsync(
            protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : undefined,
          );
          await pub.endAsync();
        });

        if (protocolVersion === 5) {
          it('passes 5.0 properties through and works with topic aliases both ways', async () => {
            const sub = await open({ properties: { topicAliasMaximum: 5 } });
            const inbox = sub.inbox;
            await sub.subscribeAsync(`${tag}/props/#`, { qos: 1 });
            const pub = await open({ autoUseTopicAlias: true, autoAssignTopicAlias: true });
            for (let i = 0; i < 3; i++) {
              await pub.publishAsync(`${tag}/props/a`, `${i}`, {
                qos: 1,
                properties: {
                  contentType: 'text/plain',
                  responseTopic: `${tag}/reply`,
                  correlationData: Buffer.from([i]),
                  userProperties: { k: 'v', n: `${i}` },
                  messageExpiryInterval: 60,
                },
              });
            }
            const got = await inbox.wait(3);
            for (const [i, m] of got.entries()) {
              assert.equal(m.topic, `${tag}/props/a`);
              assert.equal(m.payload, `${i}`);
              assert.equal(m.properties?.contentType, 'text/plain');
              assert.equal(m.properties?.responseTopic, `${tag}/reply`);
              assert.deepEqual(m.properties?.correlationData, Buffer.from([i]));
              assert.deepEqual(
                { ...(m.properties?.userProperties as object) },
                { k: 'v', n: `${i}` },
              );
              assert.ok((m.properties?.messageExpiryInterval as number) <= 60);
            }
            // The server did use an alias towards the subscriber after the first message.
            assert.ok(got.some((m) => m.properties?.topicAlias !== undefined));
            await Promise.all([sub.endAsync(), pub.endAsync()]);
          });

          it('gets PUBACK 0x10 No matching subscribers and treats it as success', async () => {
            const c = await open();
            await c.publishAsync(`${tag}/nobody`, 'x', { qos: 1 });
            const puback = c.inbox.packets.find((p) => p.cmd === 'puback');
            assert.equal(puback?.cmd === 'puback' && puback.reasonCode, 0x10);
            await c.endAsync();
          });
        }
      });
    }
  }
});
