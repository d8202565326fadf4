// The HTTP API of any node answers for the whole cluster: clients of every node, paged node
// by node, each with its node; a kick sent to one node disconnects the client on another;
// a ban made on one node holds on every node, and lifting it anywhere lifts it everywhere.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultClusterOptions } from '../../src/cluster/options.js';
import { type Harness, startHarness, waitFor } from '../admin/helpers.js';
import { nextDisconnect } from './harness.js';
import { startNats } from './nats.js';

const nats = await startNats();
const node = (nodeName: string) =>
  startHarness({
    cluster: {
      ...defaultClusterOptions,
      servers: [nats.url],
      nodeName,
      prefix: `adm${process.pid}`,
      heartbeatMs: 200,
    },
  });
const a: Harness = await node('node-a');
const b: Harness = await node('node-b');
// Registered after the nodes' own: NATS stops last.
after(() => nats.stop());

describe('cluster HTTP API', () => {
  it('GET /api/v1/cluster/clients on B lists the clients of both nodes with their node, page by page', {
    timeout: 20_000,
  }, async () => {
    await a.connect('adm-a1');
    await a.connect('adm-a2');
    await b.connect('adm-b1');
    await waitFor(
      async () => (await b.api('GET', '/api/v1/cluster/nodes')).body.nodes?.length === 2,
      10_000,
      'both nodes heard',
    );
    const seen: [string, string][] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const query: string = `/api/v1/cluster/clients?limit=2&clientId=adm-${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, body } = await b.api('GET', query);
      assert.equal(status, 200);
      assert.equal(body.total, 3);
      assert.ok(body.items.length <= 2);
      for (const item of body.items) seen.push([item.clientId, item.node]);
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen.sort(), [
      ['adm-a1', 'node-a'],
      ['adm-a2', 'node-a'],
      ['adm-b1', 'node-b'],
    ]);
    const bad = await b.api('GET', '/api/v1/cluster/clients?cursor=nonsense');
    assert.equal(bad.status, 400);
  });

  it('POST /api/v1/clients/:id/kick on B disconnects the client connected to A (0x98); an unknown id is 404', {
    timeout: 15_000,
  }, async () => {
    const client = await a.connect('adm-kick', { protocolVersion: 5 });
    const gone = nextDisconnect(client);
    const kicked = await b.api('POST', '/api/v1/clients/adm-kick/kick');
    assert.equal(kicked.status, 204);
    const disconnect = await gone;
    assert.ok(
      disconnect !== 'closed' && disconnect.reasonCode === 0x98,
      `got ${JSON.stringify(disconnect)}`,
    );
    const missing = await b.api('POST', '/api/v1/clients/nobody-anywhere/kick');
    assert.equal(missing.status, 404);
  });

  it('POST /api/v1/banned on A disconnects and refuses the client on B; DELETE on B lifts it on A', {
    timeout: 20_000,
  }, async () => {
    const client = await b.connect('adm-banned', { protocolVersion: 5 });
    const gone = nextDisconnect(client);
    const made = await a.api('POST', '/api/v1/banned', { kind: 'clientId', value: 'adm-banned' });
    assert.equal(made.status, 201);
    const disconnect = await gone;
    assert.ok(
      disconnect !== 'closed' && disconnect.reasonCode === 0x98,
      `got ${JSON.stringify(disconnect)}`,
    );
    const listed = async (h: Harness) =>
      (await h.api('GET', '/api/v1/banned')).body.items.some(
        (ban: { value: string }) => ban.value === 'adm-banned',
      );
    assert.equal(await listed(b), true, 'B lists the ban made on A');
    // CONNACK 0x8A Banned, on B too.
    await assert.rejects(b.connect('adm-banned', { protocolVersion: 5 }), /Banned|138/);
    const lifted = await b.api('DELETE', '/api/v1/banned/clientId/adm-banned');
    assert.equal(lifted.status, 204);
    await waitFor(async () => !(await listed(a)), 5000, 'A no longer lists it');
    const back = await a.connect('adm-banned', { protocolVersion: 5 });
    assert.equal(back.connected, true);
  });
});
