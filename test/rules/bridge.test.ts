// Mosquitto-style bridges through the engine, against a real Mosquitto on a free port: local
// messages matching `out` lines reach the remote broker, remote messages on `in` lines are
// published here and feed `$bridges/mqtt:<name>` rules, and a `both` line does not loop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Message, type MqttClient } from '../../src/client/index.js';
import { type ManagedServer, startMosquittoServer } from '../auth/servers.js';
import { Harness, sleep } from '../conformance/raw-client.js';
import { waitFor } from '../admin/helpers.js';

describe('rules: mqtt bridges', { timeout: 60_000 }, () => {
  let mosquitto: ManagedServer;
  let h: Harness;
  let remote: MqttClient;
  let local: MqttClient;
  const remoteGot: Message[] = [];
  const localGot: Message[] = [];
  const texts = (got: Message[], prefix: string) =>
    got
      .filter((m) => m.topic.startsWith(prefix))
      .map((m) => `${m.topic}=${Buffer.from(m.payload)}`);

  before(async () => {
    mosquitto = await startMosquittoServer();
    h = await Harness.start({
      rules: {
        connectors: [
          {
            name: 'up',
            type: 'mqtt',
            url: `mqtt://127.0.0.1:${mosquitto.port}`,
            clientId: 'culex-bridge',
            version: 5,
            topics: ['out/# out 1', 'in/# in 1', 'both/# both 1'],
          },
        ],
        rules: [
          {
            id: 'bridged',
            sql: 'SELECT topic, payload FROM "$bridges/mqtt:up"',
            enabled: true,
            actions: [{ type: 'republish', topic: 'seen/${topic}', payload: '${payload}' }],
          },
        ],
      },
    });
    remote = await connect(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: 'remote-side' });
    remote.on('message', (m) => remoteGot.push(m));
    await remote.subscribe(['out/#', 'both/#'], { qos: 1 });
    local = await connect(`mqtt://127.0.0.1:${h.port}`, { clientId: 'local-side' });
    local.on('message', (m) => localGot.push(m));
    await local.subscribe(['in/#', 'seen/#', 'both/#'], { qos: 1 });
    await waitFor(
      () => h.server.rules!.getConnector('up').status === 'connected',
      10_000,
      'the bridge to connect',
    );
  });
  after(async () => {
    await local?.end({ force: true });
    await remote?.end({ force: true });
    await h?.close();
    await mosquitto?.remove();
  });

  it('out: a local message matching an out line reaches the remote broker', async () => {
    await local.publish('out/a', 'to-remote', { qos: 1 });
    await waitFor(() => texts(remoteGot, 'out/').length > 0, 5000, 'the forwarded message');
    assert.deepEqual(texts(remoteGot, 'out/'), ['out/a=to-remote']);
  });

  it('in: a remote message is published here and fed to $bridges/mqtt:up rules', async () => {
    await sleep(300); // the bridge's remote subscription is in place once it is connected
    await remote.publish('in/b', 'from-remote', { qos: 1 });
    await waitFor(() => texts(localGot, 'seen/').length > 0, 5000, 'the rule output');
    assert.deepEqual(texts(localGot, 'in/'), ['in/b=from-remote']);
    assert.deepEqual(texts(localGot, 'seen/'), ['seen/in/b=from-remote']);
    assert.equal(h.server.rules!.getRule('bridged').metrics.matched, 1);
  });

  it('both: a message goes out once and does not come back, nor go out again', async () => {
    await local.publish('both/c', 'once', { qos: 1 });
    await waitFor(() => texts(remoteGot, 'both/').length > 0, 5000, 'the forwarded message');
    await sleep(500); // an echo would arrive meanwhile
    assert.deepEqual(texts(remoteGot, 'both/'), ['both/c=once']);
    assert.deepEqual(texts(localGot, 'both/'), ['both/c=once']);
    // Remote to local on the both line: published here once, never sent back out.
    await remote.publish('both/d', 'back', { qos: 1 });
    await waitFor(() => texts(localGot, 'both/d').length > 0, 5000, 'the bridged message');
    await sleep(500);
    assert.deepEqual(texts(localGot, 'both/d'), ['both/d=back']);
    assert.deepEqual(texts(remoteGot, 'both/d'), ['both/d=back']);
  });
});
