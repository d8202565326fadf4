// Clients, kick, sessions and subscriptions through the HTTP API, against a real broker with
// MQTT.js clients over TCP.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMessage, startHarness, waitFor } from './helpers.js';

const h = await startHarness();

describe('clients', () => {
  it('lists connected clients with their address, version and counters', async () => {
    const a = await h.connect('list-a', { protocolVersion: 5, username: 'alice', keepalive: 30 });
    await h.connect('list-b', { protocolVersion: 4, username: 'bob' });
    await a.publishAsync('t/list', 'hello', { qos: 1 });
    const res = await h.api('GET', '/api/v1/clients?clientId=list-');
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 2);
    assert.deepEqual(
      res.body.items.map((c: { clientId: string }) => c.clientId),
      ['list-a', 'list-b'],
    );
    const item = res.body.items[0];
    assert.equal(item.connected, true);
    assert.equal(item.username, 'alice');
    assert.equal(item.protocolVersion, 5);
    assert.equal(item.keepAlive, 30);
    assert.equal(item.transport, 'tcp');
    assert.match(item.ip, /127\.0\.0\.1/);
    assert.ok(item.port > 0);
    assert.ok(item.connectedAt > Date.now() - 10_000);
    assert.equal(item.messagesIn, 1);
    assert.ok(item.bytesIn > 0 && item.bytesOut > 0);
    assert.equal(res.body.items[1].protocolVersion, 4);
  });

  it('filters by username, IP and connection state', async () => {
    await h.connect('filter-c', { username: 'carol' });
    const byUser = await h.api('GET', '/api/v1/clients?username=carol');
    assert.deepEqual(
      byUser.body.items.map((c: { clientId: string }) => c.clientId),
      ['filter-c'],
    );
    const byIp = await h.api('GET', '/api/v1/clients?ip=127.0.0.1&clientId=filter-');
    assert.equal(byIp.body.total, 1);
    const otherIp = await h.api('GET', '/api/v1/clients?ip=10.1.2.3');
    assert.equal(otherIp.body.total, 0);
    const offline = await h.connect('filter-offline', {
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    await offline.endAsync();
    await waitFor(
      async () =>
        (await h.api('GET', '/api/v1/clients?connected=false')).body.items.some(
          (c: { clientId: string }) => c.clientId === 'filter-offline',
        ),
      3000,
      'the offline session listed',
    );
    const online = await h.api('GET', '/api/v1/clients?connected=true&clientId=filter-');
    assert.deepEqual(
      online.body.items.map((c: { clientId: string }) => c.clientId),
      ['filter-c'],
    );
  });

  it('pages with a cursor, in either order and by another column', async () => {
    for (let i = 0; i < 5; i++) await h.connect(`page-${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `clientId=page-&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await h.api('GET', `/api/v1/clients?${query}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 5);
      seen.push(...res.body.items.map((c: { clientId: string }) => c.clientId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    assert.equal(pages, 3);
    const desc = await h.api('GET', '/api/v1/clients?clientId=page-&order=desc&limit=2');
    assert.deepEqual(
      desc.body.items.map((c: { clientId: string }) => c.clientId),
      ['page-4', 'page-3'],
    );
    const next = await h.api(
      'GET',
      `/api/v1/clients?clientId=page-&order=desc&limit=2&cursor=${desc.body.nextCursor}`,
    );
    assert.deepEqual(
      next.body.items.map((c: { clientId: string }) => c.clientId),
      ['page-2', 'page-1'],
    );
    const byTime = await h.api('GET', '/api/v1/clients?clientId=page-&sort=connectedAt&limit=5');
    const times = byTime.body.items.map((c: { connectedAt: number }) => c.connectedAt);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  it('refuses bad list parameters with 400 naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['limit=0', /querystring\/limit must be >= 1/],
      ['limit=5000', /querystring\/limit must be <= 1000/],
      ['limit=ten', /querystring\/limit must be integer/],
      ['sort=color', /querystring\/sort must be equal to one of the allowed values/],
      ['connected=maybe', /querystring\/connected must be boolean/],
      ['cursor=not-a-cursor', /invalid cursor/],
      ['color=red', /must NOT have additional properties/],
    ];
    for (const [query, message] of cases) {
      const res = await h.api('GET', `/api/v1/clients?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'bad_request');
      assert.match(res.body.message, message, query);
    }
  });

  it("shows one client's detail with its subscriptions, in-flight and queued counts", async () => {
    const c = await h.connect('detail/one', {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
    });
    await c.subscribeAsync({ 'd/+': { qos: 1 }, 'e/#': { qos: 0, nl: true } });
    const res = await h.api('GET', `/api/v1/clients/${encodeURIComponent('detail/one')}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.clientId, 'detail/one');
    assert.equal(res.body.sessionExpiryInterval, 60);
    assert.equal(res.body.subscriptions, 2);
    assert.equal(res.body.inflight, 0);
    assert.equal(res.body.queued, 0);
    const subs = res.body.subscriptionList.map((s: { topicFilter: string; qos: number }) => [
      s.topicFilter,
      s.qos,
    ]);
    assert.deepEqual(subs, [
      ['d/+', 1],
      ['e/#', 0],
    ]);
    assert.equal(res.body.subscriptionList[1].noLocal, true);
    const missing = await h.api('GET', '/api/v1/clients/nobody');
    assert.deepEqual([missing.status, missing.body.error], [404, 'not_found']);
  });

  it('kicks a 5.0 client with DISCONNECT 0x98, and 404s when not connected', async () => {
    const c = await h.connect('kick-me', { protocolVersion: 5 });
    const disconnected = new Promise<number | undefined>((resolve) =>
      c.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const res = await h.api('POST', '/api/v1/clients/kick-me/kick');
    assert.equal(res.status, 204);
    assert.equal(await disconnected, 0x98);
    await waitFor(async () => (await h.api('GET', '/api/v1/clients/kick-me')).status === 404);
    const again = await h.api('POST', '/api/v1/clients/kick-me/kick');
    assert.deepEqual([again.status, again.body.error], [404, 'not_found']);
  });
});

describe('sessions', () => {
  it('lists offline sessions and removes them; refuses a connected one (409)', async () => {
    const c = await h.connect('sess-1', {
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 120 },
    });
    await c.subscribeAsync('s/1', { qos: 1 });
    const busy = await h.api('DELETE', '/api/v1/sessions/sess-1');
    assert.deepEqual([busy.status, busy.body.error], [409, 'conflict']);
    await c.endAsync();
    await h.server.publish('s/1', 'queued', { qos: 1 });
    const list = await waitFor(async () => {
      const res = await h.api('GET', '/api/v1/sessions?clientId=sess-');
      return res.body.total === 1 ? res : undefined;
    });
    const s = list.body.items[0];
    assert.equal(s.clientId, 'sess-1');
    assert.equal(s.expiryInterval, 120);
    assert.equal(s.subscriptions, 1);
    assert.equal(s.queued, 1);
    assert.ok(s.expiresAt > Date.now() && s.expiresAt <= Date.now() + 120_000);
    assert.equal((await h.api('DELETE', '/api/v1/sessions/sess-1')).status, 204);
    assert.equal((await h.api('GET', '/api/v1/sessions?clientId=sess-')).body.total, 0);
    const gone = await h.api('DELETE', '/api/v1/sessions/sess-1');
    assert.equal(gone.status, 404);
    // The subscription left with the session: nothing is routed to it any more.
    assert.equal(h.server.publish('s/1', 'x', { qos: 1 }), 0);
    const bad = await h.api('GET', '/api/v1/sessions?limit=-1');
    assert.equal(bad.status, 400);
  });
});

describe('subscriptions', () => {
  it('lists and filters subscriptions by client, filter text, matching topic and QoS', async () => {
    const a = await h.connect('subs-a');
    const b = await h.connect('subs-b');
    await a.subscribeAsync({ 'sensors/+/temp': { qos: 1 }, 'alerts/#': { qos: 0 } });
    await b.subscribeAsync({ 'sensors/kitchen/temp': { qos: 2 } });
    const byClient = await h.api('GET', '/api/v1/subscriptions?clientId=subs-a');
    assert.deepEqual(
      byClient.body.items.map((s: { topicFilter: string }) => s.topicFilter),
      ['alerts/#', 'sensors/+/temp'],
    );
    const byTopic = await h.api('GET', '/api/v1/subscriptions?topic=sensors/kitchen/temp');
    assert.deepEqual(
      byTopic.body.items.map((s: { clientId: string }) => s.clientId),
      ['subs-a', 'subs-b'],
    );
    const byText = await h.api('GET', '/api/v1/subscriptions?filter=alerts');
    assert.equal(byText.body.total, 1);
    const byQos = await h.api('GET', '/api/v1/subscriptions?filter=sensors&qos=2');
    assert.deepEqual(
      byQos.body.items.map((s: { clientId: string }) => s.clientId),
      ['subs-b'],
    );
    assert.equal((await h.api('GET', '/api/v1/subscriptions?qos=3')).status, 400);
  });

  it('subscribes on behalf of a client: retained and live messages arrive', async () => {
    const c = await h.connect('behalf', { protocolVersion: 5 });
    h.server.publish('behalf/retained', 'kept', { retain: true });
    const first = nextMessage(c);
    const res = await h.api('POST', '/api/v1/clients/behalf/subscriptions', {
      topicFilter: 'behalf/#',
      qos: 1,
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.topicFilter, 'behalf/#');
    assert.equal(res.body.qos, 1);
    const retained = await first;
    assert.equal(retained.payload.toString(), 'kept');
    assert.equal(retained.packet.retain, true);
    const live = nextMessage(c);
    h.server.publish('behalf/live', 'now', { qos: 1 });
    assert.equal((await live).payload.toString(), 'now');
    const detail = await h.api('GET', '/api/v1/clients/behalf');
    assert.equal(detail.body.subscriptions, 1);
  });

  it('unsubscribes on behalf of a client: messages stop', async () => {
    const c = await h.connect('unsub', { protocolVersion: 5 });
    await c.subscribeAsync('u/1');
    const path = `/api/v1/clients/unsub/subscriptions?topicFilter=${encodeURIComponent('u/1')}`;
    assert.equal((await h.api('DELETE', path)).status, 204);
    assert.equal(h.server.publish('u/1', 'x'), 0);
    const again = await h.api('DELETE', path);
    assert.deepEqual([again.status, again.body.error], [404, 'not_found']);
    const noFilter = await h.api('DELETE', '/api/v1/clients/unsub/subscriptions');
    assert.equal(noFilter.status, 400);
    assert.match(noFilter.body.message, /required property 'topicFilter'/);
  });

  it('refuses bad subscriptions with 400 and unknown clients with 404', async () => {
    await h.connect('bad-subs');
    const url = '/api/v1/clients/bad-subs/subscriptions';
    const cases: [unknown, RegExp][] = [
      [{ topicFilter: 'a/#/b', qos: 0 }, /topic filter/],
      [{ topicFilter: 'a/b', qos: 3 }, /body\/qos must be equal to one of the allowed values/],
      [{ topicFilter: '', qos: 0 }, /body\/topicFilter must NOT have fewer than 1 characters/],
      [{ qos: 0 }, /required property 'topicFilter'/],
      [{ topicFilter: 'a', qos: 0, extra: true }, /additional properties/],
      [{ topicFilter: '$share/g/x', qos: 0, noLocal: true }, /No Local/],
      [{ topicFilter: '$share//x', qos: 0 }, /topic filter/],
    ];
    for (const [body, message] of cases) {
      const res = await h.api('POST', url, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    const unknown = await h.api('POST', '/api/v1/clients/ghost/subscriptions', {
      topicFilter: 'a',
      qos: 0,
    });
    assert.equal(unknown.status, 404);
  });
});
