// MQTT-SN clients in operations: the HTTP API shows them with transport mqtt-sn, $SYS presence
// announces them, and /metrics counts the gateway's datagrams and drops.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MqttSnClient } from '../../src/client/mqttsn.js';
import { type Harness, mqttClient, RawPeer, startHarness, until } from './helpers.js';

const KEY = 'sn-test-key-0123456789';

describe('MQTT-SN clients in the HTTP API, $SYS and /metrics', { timeout: 30_000 }, () => {
  let h: Harness;
  const api = async (path: string) => {
    const res = await fetch(h.server.admin!.url + path, {
      headers: { authorization: `Bearer ${KEY}` },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    h = await startHarness({}, '127.0.0.1', {
      http: { port: 0, host: '127.0.0.1', apiKeys: [{ name: 't', key: KEY }], dashboardDir: false },
    });
  });
  after(() => h.close());

  it('GET /api/v1/clients/:id shows transport mqtt-sn; $SYS announces the connection', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'sys-watch');
    await client.subscribeAsync('$SYS/brokers/+/clients/+/connected');
    const device = await MqttSnClient.connect({ host: h.host, port: h.snPort, clientId: 'sn-api' });
    try {
      const { status, text } = await api('/api/v1/clients/sn-api');
      assert.equal(status, 200);
      const body = JSON.parse(text);
      assert.equal(body.transport, 'mqtt-sn');
      assert.equal(body.ip, '127.0.0.1');
      await until(
        () => messages.some((m) => m.topic.includes('/sn-api/connected')),
        '$SYS presence',
      );
    } finally {
      await device.disconnect();
      await client.endAsync();
    }
  });

  it('/metrics counts MQTT-SN datagrams and drops by reason', async () => {
    const peer = new RawPeer(h.host, h.snPort);
    peer.send(Buffer.from([5, 0x16]));
    await until(() => h.server.broker.core.stats.mqttsn.dropped.malformed > 0, 'the drop');
    peer.close();
    const { text } = await api('/metrics');
    assert.match(text, /^culex_mqttsn_dropped_total\{reason="malformed"\} [1-9]/m);
    assert.match(text, /^culex_mqttsn_datagrams_received_total [1-9]/m);
  });
});
