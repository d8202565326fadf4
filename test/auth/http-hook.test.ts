import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { AccessDenial, AuthFailure } from '../../src/auth/decision.js';
import {
  HttpAuthenticator,
  HttpAuthorizer,
  HttpHook,
  type HttpHookOptions,
} from '../../src/auth/http-hook.js';
import type { ConnectRequest, MessageRecord } from '../../src/broker/ports.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/constants.js';
import { client } from './helpers.js';

type Handler = (body: Record<string, unknown>, response: ServerResponse) => void;

let server: Server;
let url: string;
let handler: Handler;
let received: Record<string, unknown>[];

before(async () => {
  server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      const body = JSON.parse(text);
      received.push({
        ...body,
        contentType: request.headers['content-type'],
        token: request.headers['x-token'],
      });
      handler(body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt/auth`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
});

const json =
  (status: number, body?: unknown): Handler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };

function connect(username: string, password: string): ConnectRequest {
  return {
    clientId: 'c1',
    username,
    password: Buffer.from(password),
    protocolVersion: ProtocolVersion.V311,
    remoteAddress: '10.0.0.7',
  };
}

const authenticator = (options: Partial<HttpHookOptions> = {}) =>
  new HttpAuthenticator(new HttpHook({ url, cacheTtlMs: 0, ...options }));
const message: MessageRecord = {
  topic: 'a/b',
  payload: new Uint8Array(),
  qos: 1,
  retain: true,
  properties: {},
};

describe('HttpAuthenticator', () => {
  test('POSTs the credentials as JSON; {"result":"allow"} accepts with attributes', async () => {
    handler = json(200, { result: 'allow', attributes: { tenant: 't1' } });
    const result = await authenticator({ headers: { 'x-token': 'k' } }).authenticate(
      connect('alice', 'pässword'),
    );
    assert.deepEqual(result, {
      ok: true,
      username: 'alice',
      attributes: { http: { tenant: 't1' } },
    });
    assert.deepEqual(received, [
      {
        action: 'connect',
        clientId: 'c1',
        username: 'alice',
        password: 'pässword',
        remoteAddress: '10.0.0.7',
        protocolVersion: 4,
        contentType: 'application/json',
        token: 'k',
      },
    ]);
  });

  test('deny and 4xx refuse with 0x86; 204 allows; ignore leaves it to others [MQTT-3.1.4-2]', async () => {
    handler = json(200, { result: 'deny' });
    const denied = await authenticator().authenticate(connect('a', 'b'));
    assert.deepEqual(denied, {
      ok: false,
      reasonCode: ReasonCode.BadUserNameOrPassword,
      reasonString: 'denied by the authentication service',
      recognized: true,
    });
    handler = json(403, { result: 'allow' });
    assert.equal((await authenticator().authenticate(connect('a', 'b'))).ok, false);
    handler = json(204);
    assert.equal((await authenticator().authenticate(connect('a', 'b'))).ok, true);
    handler = json(200, { result: 'ignore' });
    const ignored = (await authenticator().authenticate(connect('a', 'b'))) as AuthFailure;
    assert.equal(ignored.ok, false);
    assert.equal(ignored.recognized, false);
  });

  test('5xx, bad answers and timeouts are errors: refused with 0x88 unless onError says otherwise', async () => {
    handler = json(503);
    const down = (await authenticator().authenticate(connect('a', 'b'))) as AuthFailure;
    assert.equal(down.reasonCode, ReasonCode.ServerUnavailable);
    assert.match(down.reasonString!, /HTTP 503/);
    assert.equal(
      (await authenticator({ onError: 'allow' }).authenticate(connect('a', 'b'))).ok,
      true,
    );
    handler = json(200, 'yes');
    assert.match(
      ((await authenticator().authenticate(connect('a', 'b'))) as AuthFailure).reasonString!,
      /no result/,
    );
    handler = (_body, response) => {
      response.writeHead(200);
      response.end('not json');
    };
    assert.equal((await authenticator().authenticate(connect('a', 'b'))).ok, false);
    handler = () => {}; // never answers
    const started = Date.now();
    const slow = (await authenticator({ timeoutMs: 200 }).authenticate(
      connect('a', 'b'),
    )) as AuthFailure;
    assert.match(slow.reasonString!, /timeout/);
    assert.ok(Date.now() - started < 2_000, 'bounded by timeoutMs');
  });

  test('a connection closed before any answer is retried once', async () => {
    let calls = 0;
    handler = (body, response) => {
      if (++calls === 1) response.socket?.destroy();
      else json(200, { result: 'allow' })(body, response);
    };
    assert.equal((await authenticator().authenticate(connect('a', 'b'))).ok, true);
    assert.equal(calls, 2);
    handler = (_body, response) => response.socket?.destroy();
    const broken = (await authenticator().authenticate(connect('a', 'b'))) as AuthFailure;
    assert.match(broken.reasonString!, /connection closed/);
    assert.equal(received.length, 4, 'one retry, no more');
  });

  test('an unreachable service is an error, never an exception', async () => {
    const hook = new HttpHook({ url: 'http://127.0.0.1:1/none', timeoutMs: 1_000 });
    const result = (await new HttpAuthenticator(hook).authenticate(
      connect('a', 'b'),
    )) as AuthFailure;
    assert.equal(result.reasonCode, ReasonCode.ServerUnavailable);
  });
});

describe('HttpHook cache', () => {
  test('decisions are reused until their TTL; errors are not cached', async () => {
    let clock = 1_000;
    const hook = new HttpHook({ url, cacheTtlMs: 5_000, now: () => clock });
    handler = json(200, { result: 'allow' });
    const ask = () =>
      hook.ask({ action: 'connect', clientId: 'c', remoteAddress: 'x', protocolVersion: 5 });
    assert.equal((await ask()).decision, 'allow');
    assert.equal((await ask()).decision, 'allow');
    assert.equal(received.length, 1);
    clock += 5_000;
    handler = json(200, { result: 'deny' });
    assert.equal((await ask()).decision, 'deny', 'expired entries are asked again');
    assert.equal(received.length, 2);
    handler = json(500);
    const other = () =>
      hook.ask({ action: 'connect', clientId: 'd', remoteAddress: 'x', protocolVersion: 5 });
    assert.equal((await other()).decision, 'error');
    assert.equal((await other()).decision, 'error');
    assert.equal(received.length, 4);
  });

  test('the cache is bounded and identical requests in flight share one POST', async () => {
    const hook = new HttpHook({ url, cacheMaxEntries: 3 });
    handler = json(200, { result: 'allow' });
    const ask = (clientId: string) =>
      hook.ask({ action: 'connect', clientId, remoteAddress: 'x', protocolVersion: 5 });
    await Promise.all([ask('same'), ask('same'), ask('same')]);
    assert.equal(received.length, 1);
    for (const id of ['a', 'b', 'c', 'd']) await ask(id);
    assert.equal(hook.cacheSize, 3);
    await ask('d');
    assert.equal(received.length, 5, 'd is cached');
    await ask('same');
    assert.equal(received.length, 6, 'the oldest entry was evicted');
  });
});

describe('HttpAuthorizer', () => {
  test('asks about publish (with QoS and retain) and subscribe; logs denials', async () => {
    const denials: AccessDenial[] = [];
    const authz = HttpAuthorizer.fromConfig(
      { url, cacheTtlMs: 0 },
      { log: (d) => denials.push(d) },
    );
    handler = (body, response) =>
      json(200, { result: body.topic === 'a/b' ? 'allow' : 'deny' })(body, response);
    assert.equal(await authz.authorizePublish(client(), 'a/b', message), true);
    assert.equal(await authz.authorizeSubscribe(client(), 'a/#'), false);
    assert.deepEqual(
      received.map(({ action, topic, qos, retain, username }) => ({
        action,
        topic,
        qos,
        retain,
        username,
      })),
      [
        { action: 'publish', topic: 'a/b', qos: 1, retain: true, username: 'alice' },
        { action: 'subscribe', topic: 'a/#', qos: undefined, retain: undefined, username: 'alice' },
      ],
    );
    assert.equal(denials.length, 1);
    assert.equal(denials[0]!.rule, `http ${url}`);
    assert.equal(authz.decideRead().decision, 'ignore');
  });

  test('failures deny by default, and as configured', async () => {
    handler = json(500);
    const strict = HttpAuthorizer.fromConfig({ url, cacheTtlMs: 0 });
    assert.equal(await strict.authorizePublish(client(), 'x', message), false);
    const verdict = await strict.decide(client(), 'publish', 'x');
    assert.match(verdict.rule!, /failed: HTTP 500/);
    const lenient = HttpAuthorizer.fromConfig({ url, cacheTtlMs: 0, onError: 'allow' });
    assert.equal(await lenient.authorizePublish(client(), 'x', message), true);
    handler = json(200, { result: 'ignore' });
    assert.equal((await strict.decide(client(), 'subscribe', 'x')).decision, 'ignore');
  });

  test('config errors name the key', () => {
    assert.throws(() => HttpAuthorizer.fromConfig({}), /auth\.http\.url: is required/);
    assert.throws(
      () => HttpAuthorizer.fromConfig({ url: 'ftp://x' }),
      /auth\.http\.url: expected an http/,
    );
    assert.throws(() => HttpAuthorizer.fromConfig({ url, timeoutMs: 0 }), /auth\.http\.timeoutMs/);
    assert.throws(
      () => HttpAuthorizer.fromConfig({ url, headers: { a: 1 } }),
      /auth\.http\.headers/,
    );
    assert.throws(
      () => HttpAuthorizer.fromConfig({ url, onError: 'maybe' }),
      /deny, allow, ignore/,
    );
  });
});
