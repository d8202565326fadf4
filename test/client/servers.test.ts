// The server list alone: which broker comes next, how long the client waits first, and where
// a Server Reference sends it (MQTT 5.0 §4.11, Server redirection; no numbered statements).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReasonCode } from '../../src/protocol/constants.js';
import { ServerList, formatAddress, parseServerReference } from '../../src/client/servers.js';
import { parseBrokerUrl } from '../../src/client/options.js';

const policy = { initialDelay: 100, maxDelay: 10_000, factor: 2, jitter: 0 };
const A = 'mqtt://127.0.0.1:1001';
const B = 'ws://127.0.0.1:1002/mqtt';
const C = 'mqtts://127.0.0.1:1003';

/** Takes the next address and returns it as a URL. */
const take = (list: ServerList) => formatAddress(list.take());

describe('client server list', () => {
  it('tries the URLs in order at the start and gives up after one round', () => {
    const list = new ServerList([A, B, C]);
    assert.equal(take(list), A);
    list.failed();
    assert.equal(list.roundFailed, false);
    assert.equal(take(list), B);
    list.failed();
    assert.equal(take(list), C);
    list.failed();
    assert.equal(list.roundFailed, true);
  });

  it('after a lost connection goes round robin: the next URL first, backoff between rounds', () => {
    const list = new ServerList([A, B, C]);
    take(list);
    list.connected();
    list.lost();
    const plan: [number, string][] = [];
    for (let i = 0; i < 7; i++) {
      const delay = list.nextDelay(policy);
      plan.push([delay, take(list)]);
      list.failed();
    }
    assert.deepEqual(plan, [
      [100, B],
      [0, C],
      [0, A],
      [200, B],
      [0, C],
      [0, A],
      [400, B],
    ]);
  });

  it('with one URL keeps the backoff of every attempt', () => {
    const list = new ServerList(A);
    take(list);
    list.connected();
    list.lost();
    const delays = [];
    for (let i = 0; i < 4; i++) {
      delays.push(list.nextDelay(policy));
      assert.equal(take(list), A);
      list.failed();
    }
    assert.deepEqual(delays, [100, 200, 400, 800]);
  });

  for (const [name, reasonCode] of [
    ['Server busy', ReasonCode.ServerBusy],
    ['Server shutting down', ReasonCode.ServerShuttingDown],
  ] as const) {
    it(`DISCONNECT ${name} moves to the next URL at once`, () => {
      const list = new ServerList([A, B]);
      take(list);
      list.connected();
      list.lost({ reasonCode });
      assert.equal(list.nextDelay(policy), 0);
      assert.equal(take(list), B);
    });
  }

  for (const [name, reasonCode] of [
    ['Server unavailable', ReasonCode.ServerUnavailable],
    ['Server busy', ReasonCode.ServerBusy],
  ] as const) {
    it(`CONNACK ${name} at the end of a round starts the next one at once`, () => {
      const list = new ServerList([A, B]);
      take(list);
      list.connected();
      list.lost();
      list.nextDelay(policy);
      take(list);
      list.failed();
      assert.equal(list.nextDelay(policy), 0, 'within the round');
      assert.equal(take(list), A);
      list.failed({ reasonCode });
      assert.equal(list.nextDelay(policy), 0);
      assert.equal(take(list), B);
    });
  }

  it('a plain refusal at the end of a round waits the next backoff step', () => {
    const list = new ServerList([A, B]);
    take(list);
    list.connected();
    list.lost();
    list.nextDelay(policy);
    take(list);
    list.failed();
    list.nextDelay(policy);
    take(list);
    list.failed({ reasonCode: ReasonCode.NotAuthorized });
    assert.equal(list.nextDelay(policy), 200);
  });

  it('with one URL, DISCONNECT Server shutting down waits the backoff: nowhere else to go', () => {
    const list = new ServerList(A);
    take(list);
    list.connected();
    list.lost({ reasonCode: ReasonCode.ServerShuttingDown });
    assert.equal(list.nextDelay(policy), 100);
  });

  it('any other loss waits the first backoff delay', () => {
    const list = new ServerList([A, B]);
    take(list);
    list.connected();
    list.lost({ reasonCode: ReasonCode.AdministrativeAction });
    assert.equal(list.nextDelay(policy), 100);
  });

  it('0x9C Use another server: the reference once, at once, then the list goes on', () => {
    const list = new ServerList([A, B]);
    take(list);
    list.connected();
    list.lost({ reasonCode: ReasonCode.UseAnotherServer, serverReference: C });
    assert.equal(list.nextDelay(policy), 0);
    assert.equal(take(list), C);
    list.failed();
    assert.equal(take(list), B);
    list.failed();
    assert.equal(take(list), A);
    assert.deepEqual(list.addresses.map(formatAddress), [A, B]);
  });

  it('0x9D Server moved: the reference takes the server’s place in the list', () => {
    const list = new ServerList([A, B]);
    take(list);
    list.connected();
    list.lost({ reasonCode: ReasonCode.ServerMoved, serverReference: C });
    assert.equal(list.nextDelay(policy), 0);
    assert.equal(take(list), C);
    assert.deepEqual(list.addresses.map(formatAddress), [C, B]);
  });

  it('a refusing CONNACK 0x9C at the start is followed before the round is over', () => {
    const list = new ServerList(A);
    take(list);
    list.failed({ reasonCode: ReasonCode.UseAnotherServer, serverReference: C });
    assert.equal(list.roundFailed, false);
    assert.equal(take(list), C);
    list.failed();
    assert.equal(list.roundFailed, true);
  });

  it('a refusing CONNACK 0x9D at the start replaces the server and is tried', () => {
    const list = new ServerList(A);
    take(list);
    list.failed({ reasonCode: ReasonCode.ServerMoved, serverReference: C });
    assert.equal(list.roundFailed, false);
    assert.equal(take(list), C);
  });

  it('two servers that redirect to each other are followed a bounded number of times', () => {
    const list = new ServerList(A);
    let follows = 0;
    take(list);
    for (let i = 0; i < 50; i++) {
      const from = list.current.port === 1001 ? C : A;
      list.failed({ reasonCode: ReasonCode.UseAnotherServer, serverReference: from });
      if (list.roundFailed) break;
      take(list);
      follows++;
    }
    assert.ok(follows < 10, `${follows} redirects followed`);
  });

  it('moving on at once is bounded too: a server that always says 0x8B cannot make a busy loop', () => {
    const list = new ServerList([A, B]);
    const delays = [];
    for (let i = 0; i < 6; i++) {
      take(list);
      list.connected();
      list.lost({ reasonCode: ReasonCode.ServerShuttingDown });
      delays.push(list.nextDelay(policy));
    }
    assert.ok(
      delays.some((d) => d > 0),
      `delays ${delays}`,
    );
  });

  it('parses Server References: URLs, host:port and [IPv6]:port, space separated', () => {
    const current = parseBrokerUrl('wss://user:pw@a.example:8084/path');
    const refs = parseServerReference(
      'b.example  10.0.0.2:8883 [fe80::1]:1883 mqtt://c.example:1884 ::bad::',
      current,
    );
    assert.deepEqual(refs.map(formatAddress), [
      'wss://b.example:443/path',
      'wss://10.0.0.2:8883/path',
      'wss://[fe80::1]:1883/path',
      'mqtt://c.example:1884',
    ]);
    assert.equal(refs[0]!.username, 'user');
    assert.equal(refs[3]!.username, undefined);
  });

  it('refuses an empty list', () => {
    assert.throws(() => new ServerList([]), { code: 'INVALID_ARGUMENT' });
  });
});
