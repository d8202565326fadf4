// `culex check --json` against Aedes 1.2 (npm), in process on a free loopback port: Aedes has
// no MQTT 5.0, so every 5.0 check is "not supported" (it refuses protocol level 5 with a
// 3.1.1-format CONNACK 0x01), the 3.1.1 checks run, and the tool does not crash.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import type { CheckResult } from '../../src/check/index.js';
import { culex, type Result } from '../cli/run.js';

describe('culex check against Aedes 1.2', () => {
  let aedes: Aedes;
  let server: Server;
  let result: Result;
  let report: { capabilities: { v5: boolean; v5Refusal: string }; results: CheckResult[] };
  before(async () => {
    aedes = await Aedes.createBroker();
    server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    result = await culex(['check', `mqtt://127.0.0.1:${port}`, '--hostile', '--json'], '', 90_000);
    report = JSON.parse(result.stdout);
  });
  after(async () => {
    server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });

  it('reports every 5.0 check as not supported, naming the refusal', () => {
    assert.equal(report.capabilities.v5, false);
    assert.match(report.capabilities.v5Refusal, /CONNACK 0x01 in 3\.1\.1 format/);
    const v5 = report.results.filter((r) => r.version === 5);
    assert.ok(v5.length > 100);
    const other = v5.filter((r) => r.outcome !== 'not supported');
    assert.deepEqual(other, []);
  });

  it('runs the 3.1.1 checks to an outcome (no crash) and exits 1 for its deviations', () => {
    assert.ok(result.status === 1, result.stderr);
    const v4 = report.results.filter((r) => r.version === 4);
    assert.ok(v4.filter((r) => r.outcome === 'pass').length > 60);
    assert.equal(
      report.results.find((r) => r.id === 'connect.accepted' && r.version === 4)?.outcome,
      'pass',
    );
    assert.deepEqual(
      v4.filter((r) => r.detail?.startsWith('check error')),
      [],
    );
  });
});
