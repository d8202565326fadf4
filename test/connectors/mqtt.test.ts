// The MQTT bridge connector against a real Mosquitto on a free port, both directions, with
// Mosquitto's own `topic` lines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Message, type MqttClient } from '../../src/client/index.js';
import {
  type Connector,
  createConnector,
  isMqttBridge,
  type MqttBridge,
  parseBridgeLine,
} from '../../src/connectors/index.js';
import { type ManagedServer, startMosquittoServer } from '../auth/servers.js';
import { outageUnderLoad, type TestDeps, testDeps, waitFor } from './harness.js';

let mosquitto: ManagedServer;
let remote: MqttClient;
const received: Message[] = [];
const open: Connector[] = [];

before(async () => {
  mosquitto = await startMosquittoServer(['persistence true']);
  // A persistent session: what the bridge sends while it reconnects after a restart waits here.
  remote = await connect(`mqtt://127.0.0.1:${mosquitto.port}`, {
    clientId: 'remote-watcher',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnect: { initialDelay: 100, maxDelay: 500 },
  });
  remote.on('message', (m) => received.push(m));
  await remote.subscribe('remote/#', { qos: 1 });
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await remote?.end({ force: true });
  await mosquitto?.remove();
});

function bridge(extra: Record<string, unknown>, deps: TestDeps = testDeps()): MqttBridge {
  const made = createConnector(
    {
      name: 'up',
      type: 'mqtt',
      url: `mqtt://127.0.0.1:${mosquitto.port}`,
      clientId: `bridge-${open.length}`, // one session each: the same id would take the other over
      ...extra,
    },
    deps,
  );
  open.push(made);
  assert.ok(isMqttBridge(made));
  return made;
}

const texts = (filter: (m: Message) => boolean) =>
  received.filter(filter).map((m) => Buffer.from(m.payload).toString());

describe('mqtt bridge connector', { timeout: 60_000 }, () => {
  test('Mosquitto topic lines parse with their defaults; bad ones say why', () => {
    assert.deepEqual(parseBridgeLine('sensors/# out 1 local/ remote/'), {
      pattern: 'sensors/#',
      direction: 'out',
      qos: 1,
      localPrefix: 'local/',
      remotePrefix: 'remote/',
      localFilter: 'local/sensors/#',
      remoteFilter: 'remote/sensors/#',
    });
    assert.equal(parseBridgeLine('topic cmd/# in').qos, 0);
    assert.equal(parseBridgeLine('a/#').direction, 'out');
    assert.equal(parseBridgeLine('"" both 2 here/x there/y').localFilter, 'here/x');
    assert.throws(() => parseBridgeLine('a/# sideways'), {
      message: "'a/# sideways': direction must be out, in or both, not 'sideways'",
    });
    assert.throws(() => parseBridgeLine('a/# in 3'), {
      message: "'a/# in 3': qos must be 0, 1 or 2, not '3'",
    });
    assert.throws(() => parseBridgeLine('a/# in 1 x/'), {
      message: "'a/# in 1 x/': a local prefix needs a remote prefix",
    });
    assert.throws(() => parseBridgeLine('a/#/b'), /is not a topic filter/);
  });

  test('egress: a rule sink with a remote topic template, QoS 1', async () => {
    const up = bridge({});
    const sink = up.sink(
      { connector: 'up', topic: 'remote/${clientid}/t', qos: 1, payload: '${t}' },
      'r1/0',
    );
    sink.push({ clientid: 'dev1', t: 31 }, 'k');
    await waitFor(() => sink.counters.success === 1, 5_000, 'acked');
    await waitFor(() => texts((m) => m.topic === 'remote/dev1/t').length === 1, 2_000);
    assert.deepEqual(
      texts((m) => m.topic === 'remote/dev1/t'),
      ['31'],
    );
    assert.equal(up.status(), 'connected');
  });

  test('out lines: forward() maps local-prefix to remote-prefix; others are not forwarded', async () => {
    const up = bridge({ topics: ['sensors/# out 1 local/ remote/fwd/'] });
    assert.deepEqual(up.localFilters, ['local/sensors/#']);
    assert.equal(up.forward('local/sensors/a', Buffer.from('x'), 1, false), true);
    assert.equal(up.forward('other/a', Buffer.from('y'), 1, false), false);
    await waitFor(() => texts((m) => m.topic.startsWith('remote/fwd/')).length === 1, 5_000);
    assert.deepEqual(
      received.filter((m) => m.topic.startsWith('remote/fwd/')).map((m) => m.topic),
      ['remote/fwd/sensors/a'],
    );
  });

  test('in lines and ingress subscriptions hand remote messages to deps.ingress', async () => {
    const deps = testDeps();
    const up = bridge(
      { topics: ['cmd/# in 1 here/ there/'], ingress: [{ remote: 'raw/#', qos: 1 }] },
      deps,
    );
    await waitFor(() => up.status() === 'connected', 5_000);
    await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE is sent after CONNACK
    await remote.publish('there/cmd/x', 'on', { qos: 1 });
    await remote.publish('raw/y', 'off', { qos: 1 });
    await waitFor(() => deps.ingressed.length === 2, 5_000, 'both messages');
    const got = deps.ingressed.map(({ connector, message }) => [
      connector,
      message.topic,
      message.payload.toString(),
      message.qos,
    ]);
    assert.deepEqual(got, [
      ['up', 'here/cmd/x', 'on', 1],
      ['up', 'raw/y', 'off', 1],
    ]);
  });

  for (const version of [5, 4] as const) {
    const how = version === 5 ? 'No Local [MQTT-3.8.3-3]' : 'own messages dropped on return';
    test(`both, MQTT ${version}: what the bridge sends does not come back in (${how})`, async () => {
      const deps = testDeps();
      const up = bridge({ version, topics: [`loop${version}/# both 1`] }, deps);
      await waitFor(() => up.status() === 'connected', 5_000);
      await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE is sent after CONNACK
      assert.equal(up.forward(`loop${version}/a`, Buffer.from('mine'), 1, false), true);
      await waitFor(() => up.forwardCounters?.success === 1, 5_000, 'forwarded');
      await remote.publish(`loop${version}/b`, 'theirs', { qos: 1 });
      await waitFor(() => deps.ingressed.length >= 1, 5_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        deps.ingressed.map((i) => i.message.topic),
        [`loop${version}/b`],
      );
    });
  }

  test('bad config: exact errors naming the key', () => {
    const make = (extra: Record<string, unknown>) => () =>
      createConnector({ name: 'm', type: 'mqtt', url: 'mqtt://127.0.0.1:1', ...extra }, testDeps());
    assert.throws(make({ topics: ['a/# sideways'] }), {
      message:
        "connector 'm': topics[0]: 'a/# sideways': direction must be out, in or both, not 'sideways'",
    });
    assert.throws(make({ version: 3 }), {
      message: "connector 'm': version must be one of 4, 5, not 3",
    });
    assert.throws(make({ ingress: [{ remote: 'a/#', qos: 5 }] }), {
      message: "connector 'm' ingress[0]: qos must be one of 0, 1, 2, not 5",
    });
    assert.throws(make({ url: 'http://x' }), {
      message:
        "connector 'm': url must start with mqtt:// or mqtts:// or tcp:// or ws:// or wss://",
    });
  });

  test('remote broker stopped 10 s under load and restarted: 0 lost, order kept', async () => {
    const up = bridge({ clientId: 'outage' });
    const sink = up.sink(
      { connector: 'up', topic: 'remote/outage', qos: 1, batchSize: 50 },
      'r2/0',
    );
    await waitFor(() => up.status() === 'connected', 5_000);
    await outageUnderLoad({
      sink,
      connector: up,
      stop: () => mosquitto.stop(),
      start: () => mosquitto.start(),
      received: async () =>
        texts((m) => m.topic === 'remote/outage').map(
          (t) => (JSON.parse(t) as { seq: number }).seq,
        ),
    });
  });
});
