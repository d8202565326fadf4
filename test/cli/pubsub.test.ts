// `culex pub` / `culex sub` as processes, against real brokers, and interop with
// mosquitto_pub / mosquitto_sub in both directions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBroker, brokerKinds, freePort, startBroker } from '../client/brokers.js';
import { culex, culexSub, run, startSub } from './run.js';

for (const kind of await brokerKinds()) {
  describe(`culex pub/sub against ${kind}`, () => {
    let broker: TestBroker;
    let port: string;
    before(async () => {
      broker = await startBroker(kind);
      port = String(broker.port);
    });
    after(() => broker.stop());

    for (const version of ['311', '5', 'mqttv5']) {
      it(`pub -m and sub -C -v (protocol ${version})`, async () => {
        const sub = await culexSub([
          '-p',
          port,
          '-V',
          version,
          '-t',
          `cli/${version}/#`,
          '-C',
          '2',
          '-v',
          '-q',
          '1',
        ]);
        const pubs = await Promise.all([
          culex([
            'pub',
            '-p',
            port,
            '-V',
            version,
            '-t',
            `cli/${version}/a`,
            '-m',
            'hello',
            '-q',
            '1',
          ]),
        ]);
        await culex([
          'pub',
          '-p',
          port,
          '-V',
          version,
          '-t',
          `cli/${version}/b`,
          '-m',
          'world',
          '-q',
          '2',
        ]);
        assert.equal(pubs[0]!.status, 0, pubs[0]!.stderr);
        const result = await sub.done;
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, `cli/${version}/a hello\ncli/${version}/b world\n`);
      });
    }

    it('pub -l sends each stdin line; sub --format json prints JSON lines with properties', async () => {
      const sub = await culexSub([
        '-p',
        port,
        '-V',
        '5',
        '-t',
        'cli/json',
        '-C',
        '3',
        '--format',
        'json',
      ]);
      const pub = await culex(
        ['pub', '-p', port, '-V', '5', '-t', 'cli/json', '-l', '-q', '1', '--user-property', 'k=v'],
        'one\ntwo\nthree\n',
      );
      assert.equal(pub.status, 0, pub.stderr);
      const result = await sub.done;
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => [l.topic, l.payload, l.qos, l.retain]),
        [
          ['cli/json', 'one', 0, false],
          ['cli/json', 'two', 0, false],
          ['cli/json', 'three', 0, false],
        ],
      );
      assert.deepEqual(lines[0].properties.userProperties, [['k', 'v']]);
    });

    it('-L url with the topic in the path, -r retain, sub -W timeout exits 27', async () => {
      const url = `mqtt://127.0.0.1:${port}/cli/url/retained`;
      const pub = await culex(['pub', '-L', url, '-m', 'kept', '-r', '-q', '1']);
      assert.equal(pub.status, 0, pub.stderr);
      const sub = await culex(['sub', '-L', url, '-C', '1']);
      assert.equal(sub.stdout, 'kept\n');
      const stale = await culex(['sub', '-L', url, '-R', '-W', '1']);
      assert.equal(stale.status, 27);
      assert.equal(stale.stdout, '');
      await culex(['pub', '-L', url, '-n', '-r']);
    });
  });
}

describe('culex pub/sub usage and connection errors', () => {
  it('exits 2 with commander’s message on a bad flag value', async () => {
    const result = await culex(['pub', '-t', 'x', '-m', 'y', '-q', '3']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /option '-q, --qos <qos>' argument '3' is invalid/);
  });

  it('exits 2 on an unknown flag and on a missing message source', async () => {
    assert.equal((await culex(['sub', '-t', 'x', '--bogus'])).status, 2);
    const missing = await culex(['pub', '-t', 'x']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /exactly one of -m, -f, -l, -s or -n/);
  });

  it('prints the reason code name when the broker refuses the connection (exit 1)', async () => {
    const broker = await startBroker('mosquitto', { extraConfig: ['allow_anonymous false'] });
    try {
      for (const version of ['5', '311']) {
        const port = String(broker.port);
        const result = await culex(['pub', '-p', port, '-V', version, '-t', 'x', '-m', 'y']);
        assert.equal(result.status, 1);
        assert.equal(result.stderr, 'Connection refused: NotAuthorized (0x87)\n');
      }
    } finally {
      await broker.stop();
    }
  });

  it('exits 1 with "Error: ..." when nothing listens', async () => {
    const port = String(await freePort());
    const result = await culex(['sub', '-p', port, '-t', 'x']);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^Error: Cannot connect to 127\.0\.0\.1:\d+|^Error: Cannot connect to localhost/,
    );
  });
});

describe('interop with mosquitto_pub / mosquitto_sub', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker('mosquitto');
  });
  after(() => broker.stop());

  it('culex sub receives from mosquitto_pub; mosquitto_sub receives from culex pub', async () => {
    const port = String(broker.port);
    const sub = await culexSub(['-p', port, '-t', 'interop/a', '-C', '1', '-q', '1']);
    const mosqPub = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      'interop/a',
      '-m',
      'from-mosquitto',
      '-q',
      '1',
    ]);
    assert.equal(mosqPub.status, 0, mosqPub.stderr);
    const subResult = await sub.done;
    assert.equal(subResult.stdout, 'from-mosquitto\n', subResult.stderr);

    const mosqSub = await startSub('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', port, '-t', 'interop/b', '-C', '1', '-V', '5', '-F', '%t %p %P'],
    ]);
    const pub = await culex([
      'pub',
      '-p',
      port,
      '-V',
      '5',
      '-t',
      'interop/b',
      '-m',
      'from-culex',
      '--user-property',
      'who=culex',
    ]);
    assert.equal(pub.status, 0, pub.stderr);
    assert.equal((await mosqSub.done).stdout, 'interop/b from-culex who:culex\n');
  });
});
