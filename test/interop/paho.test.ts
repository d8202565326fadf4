// Interop with Paho Python (Debian's python3-paho-mqtt, run by /usr/bin/python3) as publisher
// and subscriber, MQTT 3.1.1 and 5.0: QoS 0/1/2, retained, user properties, persistent session,
// will on a killed client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { Harness, publishPacket, text } from '../conformance/raw-client.js';
import { available, Child, fixturePath } from './processes.js';

const PYTHON = '/usr/bin/python3';
const missing = available(PYTHON, ['-c', 'import paho.mqtt.client'])
  ? undefined
  : 'paho-mqtt for /usr/bin/python3 is not installed';

interface Line {
  event: string;
  [key: string]: unknown;
}

describe('interop: Paho Python', { skip: missing }, () => {
  let h: Harness;
  const children: Child[] = [];
  let n = 0;
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const c of children) c.kill();
    await h.close();
  });

  function paho(
    mode: 'sub' | 'pub' | 'will',
    protocol: '311' | '5',
    clientId: string,
    topic: string,
    qos: number,
    options: Record<string, unknown> = {},
  ): Child {
    const child = Child.start(PYTHON, [
      fixturePath('paho_client.py'),
      mode,
      String(h.port),
      protocol,
      clientId,
      topic,
      String(qos),
      JSON.stringify(options),
    ]);
    children.push(child);
    return child;
  }

  const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

  for (const protocol of ['311', '5'] as const) {
    const version = protocol === '5' ? 5 : 4;

    describe(`protocol ${protocol}`, () => {
      it('Paho subscribes: messages at QoS 0, 1 and 2 from another client arrive, at the granted QoS', async () => {
        const sub = paho(
          'sub',
          protocol,
          `paho-sub-${protocol}-${++n}`,
          `paho${protocol}/in/#`,
          2,
          {
            count: 3,
          },
        );
        const [ready] = parse(await sub.waitForLines(1));
        assert.equal(ready!.event, 'ready');
        assert.deepEqual(ready!.granted, [2]);
        const pub = await h.connected({ version, clientId: `raw-pub-${protocol}` });
        for (const qos of [0, 1, 2] as const)
          await pub.publish(`paho${protocol}/in/q${qos}`, `hello ${qos}`, { qos });
        const lines = parse(await sub.waitForLines(5));
        const messages = lines.filter((l) => l.event === 'message');
        assert.deepEqual(
          messages.map((m) => [m.topic, m.payload, m.qos]),
          [0, 1, 2].map((q) => [`paho${protocol}/in/q${q}`, `hello ${q}`, q]),
        );
        assert.equal(lines.at(-1)!.event, 'done');
        assert.equal(await sub.exit(), 0);
        pub.disconnect();
      });

      for (const qos of [0, 1, 2] as const) {
        it(`Paho publishes at QoS ${qos}: the messages arrive in order and the flow completes`, async () => {
          const watcher = await h.connected({ version, clientId: `raw-watch-${protocol}-${qos}` });
          await watcher.subscribe([{ topicFilter: `paho${protocol}/out/${qos}`, qos: 2 }]);
          const pub = paho(
            'pub',
            protocol,
            `paho-pub-${protocol}-${qos}`,
            `paho${protocol}/out/${qos}`,
            qos,
            {
              count: 5,
              payload: 'p',
            },
          );
          assert.equal(await pub.exit(), 0, pub.stderr);
          assert.equal(parse(pub.lines).at(-1)!.event, 'done');
          const got = [];
          for (let i = 0; i < 5; i++) {
            const p = await watcher.receive();
            got.push([text(p), p.qos]);
          }
          assert.deepEqual(
            got,
            Array.from({ length: 5 }, (_, i) => [`p-${i}`, qos]),
          );
          await watcher.expectNothing(150);
          watcher.disconnect();
        });
      }

      it('Paho to Paho with a retained message for a later Paho subscriber', async () => {
        const topic = `paho${protocol}/retained`;
        const pub = paho('pub', protocol, `paho-ret-pub-${protocol}`, topic, 1, {
          count: 1,
          retain: true,
          payload: 'kept',
        });
        assert.equal(await pub.exit(), 0, pub.stderr);
        const sub = paho('sub', protocol, `paho-ret-sub-${protocol}`, topic, 1, { count: 1 });
        const lines = parse(await sub.waitForLines(3));
        const message = lines.find((l) => l.event === 'message')!;
        assert.equal(message.payload, 'kept-0');
        assert.equal(message.retain, true);
        assert.equal(await sub.exit(), 0);
        h.server.publish(topic, '', { retain: true });
      });

      it('a persistent Paho session gets the QoS 1 messages sent while it was away', async () => {
        const clientId = `paho-persist-${protocol}`;
        const topic = `paho${protocol}/persist`;
        const session =
          protocol === '5' ? { clean: false, sessionExpiryInterval: 60 } : { clean: false };
        // First visit: subscribe (count 0 ends right after SUBACK).
        const first = paho('sub', protocol, clientId, topic, 1, { ...session, count: 0 });
        assert.equal(await first.exit(), 0, first.stderr);
        const pub = await h.connected({ version, clientId: `raw-persist-pub-${protocol}` });
        for (let i = 0; i < 3; i++) await pub.publish(topic, `away-${i}`, { qos: 1 });
        // Second visit: the three queued messages follow the CONNACK (before its SUBACK even).
        const second = paho('sub', protocol, clientId, topic, 1, { ...session, count: 3 });
        const lines = parse(await second.waitForLines(5));
        assert.equal(lines.find((l) => l.event === 'ready')?.sessionPresent, true);
        assert.deepEqual(
          lines.filter((l) => l.event === 'message').map((l) => l.payload),
          ['away-0', 'away-1', 'away-2'],
        );
        assert.equal(await second.exit(), 0);
        pub.disconnect();
        const end = await h.connected({ version, clientId, clean: true });
        end.disconnect();
      });

      it('a Paho client killed with SIGKILL has its will published', async () => {
        const topic = `paho${protocol}/will`;
        const watcher = await h.connected({ version, clientId: `raw-will-${protocol}` });
        await watcher.subscribe([{ topicFilter: topic, qos: 1 }]);
        const doomed = paho('will', protocol, `paho-will-${protocol}`, topic, 1, {
          payload: 'paho died',
        });
        const [ready] = parse(await doomed.waitForLines(1));
        assert.equal(ready!.event, 'ready');
        await doomed.killAndWait('SIGKILL');
        const will = await watcher.receive(3_000);
        assert.equal(text(will), 'paho died');
        assert.equal(will.qos, 1);
        watcher.disconnect();
      });

      if (protocol === '5') {
        it('5.0 User Properties and Content Type travel both ways between Paho and Culex', async () => {
          const watcher = await h.connected({ clientId: 'raw-props' });
          await watcher.subscribe(['paho5/props/out']);
          const pub = paho('pub', '5', 'paho-props-pub', 'paho5/props/out', 1, {
            count: 1,
            contentType: 'text/plain',
            userProperties: [
              ['b', '1'],
              ['a', '2'],
            ],
          });
          assert.equal(await pub.exit(), 0, pub.stderr);
          const got = await watcher.expect(PacketType.Publish);
          assert.equal(got.properties.contentType, 'text/plain');
          assert.deepEqual(got.properties.userProperties, [
            ['b', '1'],
            ['a', '2'],
          ]);
          const sub = paho('sub', '5', 'paho-props-sub', 'paho5/props/in', 0, { count: 1 });
          await sub.waitForLines(1);
          watcher.send(
            publishPacket('paho5/props/in', 'x', {
              properties: { contentType: 'application/x', userProperties: [['k', 'v']] },
            }),
          );
          const lines = parse(await sub.waitForLines(3));
          const message = lines.find((l) => l.event === 'message')!;
          assert.deepEqual(message.properties, {
            contentType: 'application/x',
            userProperties: [['k', 'v']],
          });
          assert.equal(await sub.exit(), 0);
          watcher.disconnect();
        });
      }
    });
  }
});
