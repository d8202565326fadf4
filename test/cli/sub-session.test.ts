// `culex sub` with a persistent session (-c -i) and with refused subscriptions, run as the
// real `culex` binary against real brokers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CulexServer, createBroker } from '../../src/server.js';
import { type TestBroker, brokerKinds, startBroker } from '../client/brokers.js';
import { culex } from './run.js';

for (const kind of await brokerKinds()) {
  describe(`culex sub -c against ${kind}`, () => {
    let broker: TestBroker;
    before(async () => {
      broker = await startBroker(kind);
    });
    after(() => broker.stop());

    for (const version of ['311', '5']) {
      it(`-c -i prints the messages queued while it was away, -V ${version} (no -x in 5.0: the session never expires, as mosquitto_sub)`, async () => {
        const port = String(broker.port);
        const id = `cli-offline-${version}`;
        const session = [
          '-p',
          port,
          '-V',
          version,
          '-c',
          '-i',
          id,
          '-q',
          '1',
          '-t',
          `off/${version}/#`,
        ];
        const first = await culex(['sub', ...session, '-E']);
        assert.equal(first.status, 0, first.stderr);
        for (const message of ['one', 'two', 'three']) {
          const pub = await culex([
            'pub',
            '-p',
            port,
            '-t',
            `off/${version}/a`,
            '-m',
            message,
            '-q',
            '1',
          ]);
          assert.equal(pub.status, 0, pub.stderr);
        }
        const second = await culex(['sub', ...session, '-C', '3', '-W', '5']);
        assert.equal(second.stderr, '');
        assert.equal(second.stdout, 'one\ntwo\nthree\n');
        assert.equal(second.status, 0);
      });
    }
  });
}

describe('culex sub with refused subscriptions', () => {
  // Mosquitto 2.0 grants every SUBSCRIBE and applies its ACL at delivery: Culex refuses.
  let server: CulexServer;
  let port = '';
  before(async () => {
    server = await createBroker({
      listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }],
      authorizeSubscribe: (_client, filter) => filter.startsWith('open/'),
    });
    port = String(server.address('tcp').port);
  });
  after(() => server.close());

  for (const version of ['311', '5']) {
    it(`exits 1 at once when every subscription is denied, -V ${version} (as mosquitto_sub)`, async () => {
      const started = Date.now();
      const args = ['sub', '-p', port, '-V', version, '-t', 'closed/a', '-t', 'closed/b'];
      const result = await culex(args, '', 8_000);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /Subscription to 'closed\/a' denied: .*\(0x8[07]\)\n/);
      assert.match(result.stderr, /All subscription requests were denied\.\n$/);
      assert.ok(Date.now() - started < 5_000, 'it did not wait for anything');
    });
  }

  it('keeps running with the filters that were granted, and reports the denied one', async () => {
    const args = ['sub', '-p', port, '-t', 'closed/a', '-t', 'open/a', '-C', '1', '-W', '5'];
    const sub = culex(args);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await culex(['pub', '-p', port, '-t', 'open/a', '-m', 'granted']);
    const result = await sub;
    assert.equal(result.stdout, 'granted\n');
    assert.match(result.stderr, /Subscription to 'closed\/a' denied/);
    assert.equal(result.status, 0);
  });
});
