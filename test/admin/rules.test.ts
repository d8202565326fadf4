// The rules and connectors API against a real broker: CRUD, enable/disable, reset metrics,
// POST /api/v1/rules/test, /metrics lines, persistence across a restart in the data dir, and a
// webhook sink end to end through a Node http server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Webhook } from '../connectors/harness.js';
import { type Harness, startHarness, waitFor } from './helpers.js';

const configured = {
  id: 'from-config',
  sql: 'SELECT * FROM "cfg/#"',
  enabled: true,
  actions: [{ type: 'console' as const }],
};

const dataDir = await mkdtemp(join(tmpdir(), 'culex-rules-'));
const hook = await Webhook.start();
const start = () => startHarness({ rules: { rules: [configured], dataDir } });
const h: Harness = await start();
after(async () => {
  await hook.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('rules API', { timeout: 60_000 }, () => {
  it('creates, lists, reads, changes and deletes a rule', async () => {
    const rule = {
      id: 'r1',
      sql: 'SELECT payload.v AS v FROM "api/#" WHERE v > 1',
      actions: [{ type: 'republish', topic: 'out/${v}' }],
    };
    const created = await h.api('POST', '/api/v1/rules', rule);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.enabled, true);
    assert.deepEqual(created.body.sources, ['api/#']);
    assert.equal(created.body.metrics.matched, 0);
    const again = await h.api('POST', '/api/v1/rules', rule);
    assert.equal(again.status, 409);
    assert.equal(again.body.message, "rule 'r1' exists");
    const list = await h.api('GET', '/api/v1/rules');
    assert.deepEqual(
      list.body.data.map((r: { id: string }) => r.id),
      ['from-config', 'r1'],
    );
    const changed = await h.api('PUT', '/api/v1/rules/r1', { description: 'v above 1' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.description, 'v above 1');
    assert.equal(changed.body.sql, rule.sql);
    const gone = await h.api('DELETE', '/api/v1/rules/r1');
    assert.equal(gone.status, 204);
    const missing = await h.api('GET', '/api/v1/rules/r1');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, "no rule 'r1'");
  });

  it('refuses bad rules with the reason: SQL position, unknown key, unknown event, unknown connector', async () => {
    const bad = async (body: unknown) => (await h.api('POST', '/api/v1/rules', body)).body;
    const sql = await bad({ id: 'b', sql: 'SELECT * FORM "t"' });
    assert.equal(sql.statusCode, 400);
    assert.match(sql.message, /line 1, column \d+/);
    const key = await bad({ id: 'b', sql: 'SELECT * FROM "t"', colour: 'red' });
    assert.match(key.message, /unknown setting 'rule.colour' \(allowed: id, sql, enabled/);
    const event = await bad({ id: 'b', sql: 'SELECT * FROM "$events/nope"' });
    assert.match(event.message, /^line 1, column 15: expected one of the events client_connected/);
    const sink = await bad({
      id: 'b',
      sql: 'SELECT * FROM "t"',
      actions: [{ type: 'sink', connector: 'ghost' }],
    });
    assert.equal(sink.message, "no connector named 'ghost'");
    const qos = await bad({
      id: 'b',
      sql: 'SELECT * FROM "t"',
      actions: [{ type: 'republish', topic: 'x', qos: 3 }],
    });
    assert.equal(qos.message, "'rule.actions[0].qos' must be 0, 1 or 2, got 3");
  });

  it('POST /api/v1/rules/test runs SQL on a sample message or event, no side effects', async () => {
    const message = await h.api('POST', '/api/v1/rules/test', {
      sql: 'SELECT payload.msg AS msg, clientid, topic FROM "t/#"',
      context: { topic: 't/1', payload: '{"msg":"hi"}', clientid: 'c1' },
    });
    assert.equal(message.status, 200, message.text);
    assert.deepEqual(message.body.outputs, [{ msg: 'hi', clientid: 'c1', topic: 't/1' }]);
    const filtered = await h.api('POST', '/api/v1/rules/test', {
      sql: 'SELECT * FROM "t/#" WHERE qos = 2',
      context: { topic: 't/1', qos: 1 },
    });
    assert.deepEqual(filtered.body.outputs, []);
    const event = await h.api('POST', '/api/v1/rules/test', {
      sql: 'SELECT clientid, reason FROM "$events/client_disconnected"',
    });
    assert.deepEqual(event.body.outputs, [{ clientid: 'c_emqx', reason: 'normal' }]);
    const elsewhere = await h.api('POST', '/api/v1/rules/test', {
      sql: 'SELECT * FROM "t/#"',
      context: { topic: 'other/1' },
    });
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.message, /matches no FROM/);
    const noSql = await h.api('POST', '/api/v1/rules/test', { context: {} });
    assert.equal(noSql.status, 400);
    assert.equal(noSql.body.message, "'sql' must be a string: the rule's SQL");
    const badContext = await h.api('POST', '/api/v1/rules/test', {
      sql: 'SELECT * FROM "t"',
      context: [1],
    });
    assert.equal(badContext.body.message, "'context' must be a mapping of input fields to values");
    assert.equal(h.server.rules!.listRules().length, 1);
  });

  it('disable stops a rule, enable starts it, reset zeroes its metrics; /metrics shows them', async () => {
    await h.api('POST', '/api/v1/rules', { id: 'm', sql: 'SELECT * FROM "m/#"' });
    const client = await h.connect('m-pub');
    await client.publishAsync('m/1', 'a', { qos: 1 });
    await waitFor(() => h.server.rules!.getRule('m').metrics.matched === 1, 2000, 'matched');
    assert.equal((await h.api('POST', '/api/v1/rules/m/disable')).body.enabled, false);
    await client.publishAsync('m/1', 'b', { qos: 1 });
    assert.equal((await h.api('GET', '/api/v1/rules/m')).body.metrics.matched, 1);
    assert.equal((await h.api('POST', '/api/v1/rules/m/enable')).body.enabled, true);
    await client.publishAsync('m/1', 'c', { qos: 1 });
    assert.equal((await h.api('GET', '/api/v1/rules/m')).body.metrics.matched, 2);
    const metrics = (await h.api('GET', '/metrics')).text;
    assert.match(metrics, /^culex_rule_matched_total\{rule="m"\} 2$/m);
    assert.match(metrics, /^culex_rule_passed_total\{rule="m"\} 2$/m);
    assert.match(metrics, /^culex_rule_failed_no_result_total\{rule="m"\} 0$/m);
    const reset = await h.api('POST', '/api/v1/rules/m/metrics/reset');
    assert.equal(reset.body.metrics.matched, 0);
    assert.match(
      (await h.api('GET', '/metrics')).text,
      /^culex_rule_matched_total\{rule="m"\} 0$/m,
    );
  });

  it('a webhook sink delivers rule outputs to a Node http server; connectors CRUD with status', async () => {
    const connector = await h.api('POST', '/api/v1/connectors', {
      name: 'hook',
      type: 'http',
      url: hook.url,
      headers: { authorization: 'Bearer hidden' },
    });
    assert.equal(connector.status, 201, connector.text);
    assert.equal(connector.body.config.headers.authorization, '******');
    const rule = await h.api('POST', '/api/v1/rules', {
      id: 'to-hook',
      sql: 'SELECT payload.n AS n, topic FROM "hook/#"',
      actions: [{ type: 'sink', connector: 'hook', method: 'POST', path: '/in', body: '${n}' }],
    });
    assert.equal(rule.status, 201, rule.text);
    hook.requests.length = 0;
    const client = await h.connect('hook-pub');
    for (let n = 1; n <= 3; n++) await client.publishAsync('hook/a', `{"n":${n}}`, { qos: 1 });
    await waitFor(() => hook.requests.length >= 3, 5000, 'three webhook requests');
    assert.deepEqual(
      hook.requests.map((r) => r.body),
      ['1', '2', '3'],
    );
    await waitFor(
      () => h.server.rules!.getRule('to-hook').metrics.actions.success === 3,
      3000,
      'sink successes',
    );
    const view = (await h.api('GET', '/api/v1/connectors/hook')).body;
    assert.equal(view.status, 'connected');
    assert.deepEqual(view.rules, ['to-hook']);
    const inUse = await h.api('DELETE', '/api/v1/connectors/hook');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.message, "connector 'hook' is used by rules to-hook");
    const metrics = (await h.api('GET', '/metrics')).text;
    assert.match(
      metrics,
      /^culex_connector_status\{connector="hook",type="http",status="connected"\} 1$/m,
    );
    assert.match(metrics, /^culex_rule_actions_success_total\{rule="to-hook"\} 3$/m);
  });

  it('API changes survive a restart: made rules and connectors come back, deleted config rules stay deleted', async () => {
    assert.equal((await h.api('DELETE', '/api/v1/rules/from-config')).status, 204);
    // A second broker on the same data dir, with the same config: what the first was told.
    const restarted = await start();
    const ids = (await restarted.api('GET', '/api/v1/rules')).body.data.map(
      (r: { id: string }) => r.id,
    );
    assert.deepEqual(ids.sort(), ['m', 'to-hook']);
    const connectors = (await restarted.api('GET', '/api/v1/connectors')).body.data;
    assert.deepEqual(
      connectors.map((c: { name: string }) => c.name),
      ['hook'],
    );
  });
});
