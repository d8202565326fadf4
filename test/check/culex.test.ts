// `culex check` against Culex itself, in process: every check passes, hostile ones included,
// over TCP; and the connect and publish checks over WebSocket. This makes the check set part
// of our own conformance suite: a failing check is named in the assertion message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALL_CHECKS, type CheckResult, runChecks } from '../../src/check/index.js';
import { type CulexServer, createBroker } from '../../src/index.js';

const failures = (results: CheckResult[]) =>
  results
    .filter((r) => r.outcome !== 'pass')
    .map((r) => `${r.outcome}: ${r.id} v${r.version} ${r.rules.join(' ')}: ${r.detail}`);

describe('culex check against Culex', () => {
  let server: CulexServer;
  before(async () => {
    server = await createBroker({
      listeners: [
        { type: 'tcp', port: 0, host: '127.0.0.1' },
        { type: 'ws', port: 0, host: '127.0.0.1' },
      ],
      broker: { sysInterval: 0 },
    });
  });
  after(() => server.close());

  it('passes every check over TCP, hostile ones included', { timeout: 60_000 }, async () => {
    const url = new URL(`mqtt://127.0.0.1:${server.address('tcp').port}`);
    const report = await runChecks({ target: { url }, checks: ALL_CHECKS, hostile: true });
    assert.equal(report.results.length, ALL_CHECKS.length);
    assert.deepEqual(failures(report.results), []);
    assert.equal(report.capabilities.v5, true);
    assert.equal(report.capabilities.maximumPacketSize, 16_777_216);
  });

  it('passes the connect and publish checks over WebSocket (subprotocol mqtt)', {
    timeout: 30_000,
  }, async () => {
    const url = new URL(`ws://127.0.0.1:${server.address('ws').port}/mqtt`);
    const report = await runChecks({
      target: { url },
      checks: ALL_CHECKS,
      areas: ['connect', 'publish'],
      hostile: true,
    });
    assert.ok(report.results.length > 40);
    assert.deepEqual(failures(report.results), []);
  });

  it('leaves no retained message and no session behind', { timeout: 30_000 }, async () => {
    const url = new URL(`mqtt://127.0.0.1:${server.address('tcp').port}`);
    await runChecks({
      target: { url },
      checks: ALL_CHECKS,
      areas: ['retained', 'sessions', 'will'],
    });
    const core = server.broker.core;
    const sessions = [...core.sessions.keys()];
    assert.deepEqual(sessions, [], `sessions left: ${sessions.join(', ')}`);
    const retained = [...core.retained.entries()]
      .map((m) => m.topic)
      .filter((t) => !t.startsWith('$SYS/'));
    assert.deepEqual(retained, [], 'retained messages left');
  });
});
