// `culex sn pub|sub` against a broker with an MQTT-SN listener, as child processes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, mqttClient, startHarness } from '../gateway/helpers.js';
import { culex, entry, startSub } from './run.js';

describe('culex sn pub|sub', { timeout: 30_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ predefinedTopics: { 5: 'pre/five' } });
  });
  after(() => h.close());

  it('culex sn sub prints what culex sn pub sends (QoS 1, registered topic)', async () => {
    const port = String(h.snPort);
    const sub = await startSub(process.execPath, [
      entry,
      'sn',
      'sub',
      '-p',
      port,
      '-t',
      'cli/+',
      '-q',
      '1',
      '-C',
      '1',
      '-v',
    ]);
    const pub = await culex(['sn', 'pub', '-p', port, '-t', 'cli/a', '-m', 'hello', '-q', '1']);
    assert.equal(pub.status, 0, pub.stderr);
    const result = await sub.done;
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'cli/a hello\n');
  });

  it('culex sn pub -q -1 reaches an MQTT 5.0 subscriber on a pre-defined topic', async () => {
    const { client, messages } = await mqttClient(h.mqttUrl, 'cli-v5');
    try {
      await client.subscribeAsync('pre/five');
      const args = ['sn', 'pub', '-p', String(h.snPort), '--predefined', '5=pre/five'];
      const pub = await culex([...args, '-t', 'pre/five', '-m', 'm1', '-q', '-1']);
      assert.equal(pub.status, 0, pub.stderr);
      const deadline = Date.now() + 3000;
      while (messages.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        messages.map((m) => m.payload),
        ['m1'],
      );
    } finally {
      await client.endAsync();
    }
  });

  it('culex sn pub -q -1 on a long topic name is refused (exit 1) with the reason', async () => {
    const pub = await culex(['sn', 'pub', '-p', String(h.snPort), '-t', 'long/name', '-q', '-1']);
    assert.equal(pub.status, 1);
    assert.match(pub.stderr, /QoS -1 needs a two-character topic/);
  });

  it('culex sn sub -W exits 27 when nothing arrives', async () => {
    const sub = await culex(['sn', 'sub', '-p', String(h.snPort), '-t', 'quiet', '-W', '1']);
    assert.equal(sub.status, 27, sub.stderr);
  });
});
