// Retained messages, publishing, bans and the live trace through the HTTP API.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { API_KEY, nextMessage, startHarness, waitFor } from './helpers.js';

const h = await startHarness();

describe('retained messages', () => {
  it('lists by filter, reads one (text and binary), deletes', async () => {
    const c = await h.connect('ret-pub');
    await c.publishAsync('home/kitchen/temp', '21.5', { qos: 1, retain: true });
    await c.publishAsync('home/hall/temp', Buffer.from([0xff, 0x00, 0xfe]), {
      qos: 0,
      retain: true,
    });
    await c.publishAsync('office/temp', '19', { retain: true });
    const list = await waitFor(async () => {
      const res = await h.api(
        'GET',
        `/api/v1/retained?filter=${encodeURIComponent('home/+/temp')}`,
      );
      return res.body.total === 2 ? res : undefined;
    });
    assert.deepEqual(
      list.body.items.map((m: { topic: string }) => m.topic),
      ['home/hall/temp', 'home/kitchen/temp'],
    );
    assert.equal(list.body.items[1].preview, '21.5');
    assert.equal(list.body.items[0].preview, null, 'binary payloads have no preview');
    const all = await h.api('GET', '/api/v1/retained?limit=1');
    assert.equal(all.body.items.length, 1);
    assert.ok(all.body.nextCursor);
    const one = await h.api('GET', `/api/v1/retained/${encodeURIComponent('home/kitchen/temp')}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.payload, {
      text: '21.5',
      base64: 'MjEuNQ==',
      size: 4,
      truncated: false,
    });
    assert.equal(one.body.qos, 1);
    // The topic's slashes may also stay as they are: the rest of the path is the topic.
    const plain = await h.api('GET', '/api/v1/retained/home/kitchen/temp');
    assert.equal(plain.status, 200);
    assert.equal(plain.body.topic, 'home/kitchen/temp');
    assert.equal(plain.body.payload.text, '21.5');
    const binary = await h.api('GET', `/api/v1/retained/${encodeURIComponent('home/hall/temp')}`);
    assert.equal(binary.body.payload.text, null);
    assert.equal(binary.body.payload.base64, Buffer.from([0xff, 0x00, 0xfe]).toString('base64'));
    const del = await h.api(
      'DELETE',
      `/api/v1/retained/${encodeURIComponent('home/kitchen/temp')}`,
    );
    assert.equal(del.status, 204);
    const after = await h.api('GET', `/api/v1/retained/${encodeURIComponent('home/kitchen/temp')}`);
    assert.deepEqual([after.status, after.body.error], [404, 'not_found']);
    const again = await h.api(
      'DELETE',
      `/api/v1/retained/${encodeURIComponent('home/kitchen/temp')}`,
    );
    assert.equal(again.status, 404);
    // A new subscriber no longer gets the deleted message.
    const s = await h.connect('ret-sub');
    const got: string[] = [];
    s.on('message', (topic) => got.push(topic));
    await s.subscribeAsync('home/#');
    await waitFor(() => got.length === 1, 2000, 'one retained message');
    assert.deepEqual(got, ['home/hall/temp']);
  });

  it('refuses bad filters', async () => {
    for (const filter of ['a/#/b', 'a+', '$share/g/a']) {
      const res = await h.api('GET', `/api/v1/retained?filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 400, filter);
      assert.match(res.body.message, /topic filter/);
    }
  });
});

describe('publish', () => {
  it('publishes UTF-8 with QoS, retain and 5.0 properties to a 5.0 subscriber', async () => {
    const s = await h.connect('pub-sub', { protocolVersion: 5 });
    await s.subscribeAsync('api/#', { qos: 1 });
    const arrived = nextMessage(s);
    const res = await h.api('POST', '/api/v1/publish', {
      topic: 'api/text',
      payload: 'héllo',
      qos: 1,
      retain: true,
      properties: {
        contentType: 'text/plain',
        payloadFormatIndicator: 1,
        messageExpiryInterval: 300,
        responseTopic: 'api/reply',
        correlationData: Buffer.from('corr').toString('base64'),
        userProperties: [
          ['source', 'test'],
          ['n', '1'],
        ],
      },
    });
    assert.deepEqual([res.status, res.body], [200, { delivered: 1 }]);
    const { topic, payload, packet } = await arrived;
    assert.equal(topic, 'api/text');
    assert.equal(payload.toString(), 'héllo');
    assert.equal(packet.qos, 1);
    const p = packet.properties!;
    assert.equal(p.contentType, 'text/plain');
    assert.equal(p.payloadFormatIndicator, true);
    assert.ok(p.messageExpiryInterval! <= 300 && p.messageExpiryInterval! >= 299);
    assert.equal(p.responseTopic, 'api/reply');
    assert.equal(Buffer.from(p.correlationData!).toString(), 'corr');
    assert.deepEqual({ ...p.userProperties }, { source: 'test', n: '1' });
    const kept = await h.api('GET', `/api/v1/retained/${encodeURIComponent('api/text')}`);
    assert.equal(kept.body.payload.text, 'héllo');
    assert.equal(kept.body.properties.contentType, 'text/plain');
  });

  it('publishes base64 payloads byte for byte', async () => {
    const s = await h.connect('pub-bin');
    await s.subscribeAsync('bin/x');
    const arrived = nextMessage(s);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = await h.api('POST', '/api/v1/publish', {
      topic: 'bin/x',
      payload: bytes.toString('base64'),
      encoding: 'base64',
    });
    assert.equal(res.status, 200);
    assert.deepEqual((await arrived).payload, bytes);
  });

  it('refuses bad input with 400 naming the field, and non-JSON with 415', async () => {
    const cases: [unknown, RegExp][] = [
      [{ topic: 'a/+' }, /topic/],
      [{ topic: 'a/#' }, /topic/],
      [{ topic: '' }, /body\/topic must NOT have fewer than 1 characters/],
      [{ payload: 'x' }, /required property 'topic'/],
      [{ topic: 'a', qos: 5 }, /body\/qos must be equal to one of the allowed values: 0, 1, 2/],
      [{ topic: 'a', qos: '1x' }, /body\/qos/],
      [{ topic: 'a', retain: 'yes' }, /body\/retain must be boolean/],
      [{ topic: 'a', encoding: 'hex' }, /body\/encoding .*: utf8, base64/],
      [{ topic: 'a', payload: '%%%', encoding: 'base64' }, /not valid base64/],
      [
        { topic: 'a', properties: { contentType: 5 } },
        /body\/properties\/contentType must be string/,
      ],
      [
        { topic: 'a', properties: { correlationData: '***' } },
        /correlationData must match pattern/,
      ],
      [
        { topic: 'a', properties: { userProperties: [['a']] } },
        /userProperties\/0 must NOT have fewer than 2 items/,
      ],
      [{ topic: 'a', properties: { topicAlias: 1 } }, /additional properties/],
      [{ topic: 'a', extra: 1 }, /additional properties/],
      [{ topic: '$SYS/x' }, /\$SYS/],
      [[1, 2], /body must be object/],
    ];
    for (const [body, message] of cases) {
      const res = await h.api('POST', '/api/v1/publish', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error, 'bad_request');
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    const form = await fetch(`${h.base}/api/v1/publish`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_KEY}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=a',
    });
    assert.equal(form.status, 415);
    const empty = await fetch(`${h.base}/api/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    });
    assert.equal(empty.status, 400);
  });
});

describe('banned clients', () => {
  const refused = (clientId: string, options: mqtt.IClientOptions = {}) =>
    mqtt
      .connectAsync(h.mqttUrl, { clientId, protocolVersion: 5, reconnectPeriod: 0, ...options })
      .then(
        async (c) => {
          await c.endAsync(true);
          return undefined;
        },
        (error: { code?: number }) => error.code,
      );

  it('bans a client id: the connected client is disconnected and refused with 0x8A', async () => {
    const c = await h.connect('villain', { protocolVersion: 5 });
    const kicked = new Promise<number | undefined>((r) =>
      c.once('disconnect', (p) => r(p.reasonCode)),
    );
    const res = await h.api('POST', '/api/v1/banned', {
      kind: 'clientId',
      value: 'villain',
      reason: 'spam',
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.kind, 'clientId');
    assert.equal(res.body.reason, 'spam');
    assert.equal(await kicked, 0x98);
    assert.equal(await refused('villain'), 0x8a);
    const list = await h.api('GET', '/api/v1/banned');
    assert.ok(list.body.items.some((b: { value: string }) => b.value === 'villain'));
    assert.equal((await h.api('DELETE', '/api/v1/banned/clientId/villain')).status, 204);
    assert.equal(await refused('villain'), undefined, 'connects again once lifted');
    assert.equal((await h.api('DELETE', '/api/v1/banned/clientId/villain')).status, 404);
  });

  it('bans usernames and IP addresses, with an expiry', async () => {
    await h.api('POST', '/api/v1/banned', { kind: 'username', value: 'mallory' });
    assert.equal(await refused('m1', { username: 'mallory' }), 0x8a);
    assert.equal(await refused('m2', { username: 'alice' }), undefined);
    const ip = await h.api('POST', '/api/v1/banned', {
      kind: 'ip',
      value: '127.0.0.1',
      durationSeconds: 1,
    });
    assert.equal(ip.status, 201);
    assert.ok(ip.body.until > Date.now());
    assert.equal(await refused('anyone'), 0x8a);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await refused('anyone'), undefined, 'the IP ban expired');
    const list = await h.api('GET', '/api/v1/banned');
    assert.ok(!list.body.items.some((b: { kind: string }) => b.kind === 'ip'));
    await h.api('DELETE', '/api/v1/banned/username/mallory');
  });

  it('refuses bad bans with 400', async () => {
    const cases: unknown[] = [
      { kind: 'host', value: 'x' },
      { kind: 'ip' },
      { kind: 'ip', value: '' },
      { kind: 'ip', value: '1.2.3.4', durationSeconds: 0 },
      { kind: 'ip', value: '1.2.3.4', durationSeconds: 10, until: Date.now() + 10_000 },
      { kind: 'ip', value: '1.2.3.4', until: 1000 },
    ];
    for (const body of cases) {
      const res = await h.api('POST', '/api/v1/banned', body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await h.api('DELETE', '/api/v1/banned/host/x')).status, 400);
  });
});

describe('trace', () => {
  async function openTrace(query: string) {
    const controller = new AbortController();
    const res = await fetch(`${h.base}/api/v1/trace?${query}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      signal: controller.signal,
    });
    const events: { event: string; data: string }[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    const pump = (async () => {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let at = buffer.indexOf('\n\n');
          while (at >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data !== undefined) events.push({ event, data });
            at = buffer.indexOf('\n\n');
          }
        }
      } catch {}
    })();
    return {
      res,
      events,
      close: async () => {
        controller.abort();
        await pump;
      },
    };
  }

  it('streams matching messages as they pass, with the publisher, without subscribing', async () => {
    const trace = await openTrace(`topic=${encodeURIComponent('trace/+/x')}`);
    assert.equal(trace.res.status, 200);
    assert.match(trace.res.headers.get('content-type')!, /text\/event-stream/);
    const c = await h.connect('tracer', { protocolVersion: 5, username: 'tu' });
    await c.publishAsync('trace/a/x', 'one', { qos: 1, properties: { contentType: 'text/plain' } });
    await c.publishAsync('trace/a/y', 'not matching');
    await c.publishAsync('trace/b/x', Buffer.from([0xff]));
    await waitFor(() => trace.events.length >= 2, 3000, 'two trace events');
    const [first, second] = trace.events.map((e) => JSON.parse(e.data));
    assert.equal(first.topic, 'trace/a/x');
    assert.equal(first.clientId, 'tracer');
    assert.equal(first.username, 'tu');
    assert.equal(first.qos, 1);
    assert.equal(first.payload.text, 'one');
    assert.equal(first.properties.contentType, 'text/plain');
    assert.equal(second.topic, 'trace/b/x');
    assert.equal(second.payload.text, null);
    assert.equal(second.payload.base64, '/w==');
    // Tracing is no subscription: nobody received the messages.
    const subs = await h.api('GET', '/api/v1/subscriptions?topic=trace/a/x');
    assert.equal(subs.body.total, 0);
    const metrics = await h.api('GET', '/api/v1/metrics');
    assert.equal(metrics.body.traceStreams, 1);
    await trace.close();
    await waitFor(async () => (await h.api('GET', '/api/v1/metrics')).body.traceStreams === 0);
  });

  it('follows one client id, and API publishes too', async () => {
    const trace = await openTrace('clientId=only-me');
    const me = await h.connect('only-me');
    const other = await h.connect('not-me');
    await other.publishAsync('t/1', 'other');
    await me.publishAsync('t/2', 'mine');
    await waitFor(() => trace.events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      trace.events.map((e) => JSON.parse(e.data).topic),
      ['t/2'],
    );
    await trace.close();
    const all = await openTrace('');
    await h.api('POST', '/api/v1/publish', { topic: 'from/api', payload: 'x' });
    await waitFor(() => all.events.length >= 1);
    const event = JSON.parse(all.events[0]!.data);
    assert.deepEqual([event.topic, event.clientId], ['from/api', null]);
    await all.close();
  });

  it('refuses bad filters (400) and too many streams (429)', async () => {
    const bad = await h.api('GET', `/api/v1/trace?topic=${encodeURIComponent('a/#/b')}`);
    assert.equal(bad.status, 400);
    const extra = await h.api('GET', '/api/v1/trace?color=red');
    assert.equal(extra.status, 400);
    const open = [];
    for (let i = 0; i < 16; i++) open.push(await openTrace('topic=x'));
    const refused = await h.api('GET', '/api/v1/trace?topic=x');
    assert.deepEqual([refused.status, refused.body.error], [429, 'too_many_requests']);
    await Promise.all(open.map((t) => t.close()));
  });
});
