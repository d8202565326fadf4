// The `culex check` command line: TLS and WebSocket-over-TLS targets with --cafile, the text
// report, --only and --protocol, the JSON shape, and its exit codes (0 no failure, 1 a
// failure or no broker, 2 bad usage).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../bench/broker-process.js';
import { type CulexServer, createBroker } from '../../src/index.js';
import { culex } from '../cli/run.js';
import { makePki, makeTempDir, SERVER_EXTENSIONS } from '../security/fixtures/certs.js';

describe('culex check (command line)', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: CulexServer;
  let ca: string;
  before(async () => {
    temp = await makeTempDir('culex-check-');
    const pki = await makePki(join(temp.dir, 'pki'));
    const pair = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
    ca = pki.ca;
    const tls = { host: '127.0.0.1', port: 0, cert: pair.cert, key: pair.key };
    server = await createBroker({
      listeners: [
        { type: 'tcp', port: 0, host: '127.0.0.1' },
        { type: 'tls', ...tls },
        { type: 'wss', ...tls },
      ],
      broker: { sysInterval: 0 },
    });
  });
  after(async () => {
    await server?.close();
    await temp?.remove();
  });

  it('checks over mqtts:// with --cafile: a text report per area, then a summary; exit 0', async () => {
    const url = `mqtts://127.0.0.1:${server.address('tls').port}`;
    const run = await culex(
      ['check', url, '--cafile', ca, '--only', 'connect,will', '--protocol', '5'],
      '',
      30_000,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /^culex check mqtts:\/\/127\.0\.0\.1:\d+\/?\ncapabilities:\n {2}MQTT 3\.1\.1: yes, MQTT 5\.0: yes\n/,
    );
    assert.match(
      run.stdout,
      /\nconnect\n {2}pass {10}5\.0 {3}A valid CONNECT gets CONNACK 0x00 first/,
    );
    assert.match(run.stdout, /\nwill\n/);
    assert.doesNotMatch(run.stdout, /\n(publish|topics)\n|3\.1\.1 A /);
    assert.match(
      run.stdout,
      /\nsummary: \d+ checks: \d+ pass, 0 fail, 0 not supported, \d+ skip \(\d+\.\d s\)\n$/,
    );
  });

  it('checks over wss:// and prints JSON: capabilities, one result per check, a summary', async () => {
    const url = `wss://127.0.0.1:${server.address('wss').port}/mqtt`;
    const run = await culex(
      ['check', url, '--cafile', ca, '--only', 'keep-alive', '--protocol', '3.1.1', '--json'],
      '',
      30_000,
    );
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.capabilities.maximumPacketSize, 16_777_216);
    assert.ok(report.results.length >= 4);
    for (const r of report.results) {
      assert.equal(r.area, 'keep-alive');
      assert.equal(r.version, 4);
      assert.equal(r.outcome, 'pass', `${r.id}: ${r.detail}`);
      assert.ok(r.rules.length > 0);
    }
    assert.equal(report.summary.pass, report.results.length);
  });

  it('sends -u/-P on every connection: a broker that demands them is checked, and refuses without', async () => {
    const guarded = await createBroker({
      listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }],
      broker: { sysInterval: 0 },
      authenticate: (request) =>
        request.username === 'checker' &&
        Buffer.from(request.password ?? []).toString() === 's3cret',
    });
    try {
      const url = `mqtt://127.0.0.1:${guarded.address('tcp').port}`;
      const only = ['--only', 'connect,sessions', '--protocol', '3.1.1'];
      const ok = await culex(['check', url, '-u', 'checker', '-P', 's3cret', ...only], '', 30_000);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      const refused = await culex(['check', url, ...only], '', 30_000);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /refused an MQTT 3\.1\.1 CONNECT: CONNACK 0x8[67]/);
    } finally {
      await guarded.close();
    }
  });

  it('exits 1 with a clear message when nothing listens', async () => {
    const port = await freePort();
    const run = await culex(['check', `mqtt://127.0.0.1:${port}`, '--timeout', '500'], '', 10_000);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^Error: cannot check mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('exits 2 on bad usage: an unknown scheme, an unknown area, a bad --protocol', async () => {
    const port = server.address('tcp').port;
    const cases = [
      [`http://127.0.0.1:${port}`],
      [`mqtt://127.0.0.1:${port}`, '--only', 'connect,nonsense'],
      [`mqtt://127.0.0.1:${port}`, '--protocol', '4.0'],
      ['not a url'],
    ];
    for (const args of cases) {
      const run = await culex(['check', ...args], '', 10_000);
      assert.equal(run.status, 2, `culex check ${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /error/);
    }
  });
});
