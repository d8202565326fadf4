// The `$events/...` sources against the real server: one rule per event republishes the
// event's record as JSON to ev/<event>, and raw MQTT clients make each event happen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { EVENT_NAMES, type RuleConfig } from '../../src/rules/index.js';
import { Harness, type RawClient, text } from '../conformance/raw-client.js';

/** Which inputs of each event the test looks at (others come from the watcher itself). */
const WHERE: Record<string, string> = {
  message_delivered: "topic = 'data/x'",
  message_acked: "topic = 'data/x'",
  message_dropped: "topic = 'nobody/x'",
  delivery_dropped: "topic = 'data/x'",
};

export function eventRules(): RuleConfig[] {
  return EVENT_NAMES.map((event) => ({
    id: `ev-${event}`,
    sql: `SELECT * FROM "$events/${event}" WHERE ${WHERE[event] ?? "clientid = 'dev1'"}`,
    enabled: true,
    actions: [{ type: 'republish', topic: `ev/${event}`, qos: 0 }],
  }));
}

describe('rules: broker events', { timeout: 60_000 }, () => {
  let h: Harness;
  let watcher: RawClient;
  const seen = new Map<string, Record<string, unknown>[]>();

  /** The records of an event so far, waiting up to 2 s for at least `count`. */
  async function records(event: string, count = 1): Promise<Record<string, unknown>[]> {
    return recordsWhere(event, () => true, count);
  }

  /** The records of an event that pass `test`, waiting up to 2 s for at least `count`. */
  async function recordsWhere(
    event: string,
    test: (r: Record<string, unknown>) => boolean,
    count = 1,
  ): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 2000;
    for (;;) {
      for (const p of watcher.packets.splice(0)) {
        if (p.type !== PacketType.Publish) continue;
        const name = p.topic.slice('ev/'.length);
        seen.set(name, [...(seen.get(name) ?? []), JSON.parse(text(p))]);
      }
      const list = (seen.get(event) ?? []).filter(test);
      if (list.length >= count) return list;
      assert.ok(Date.now() < deadline, `no ${event} event within 2 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  before(async () => {
    h = await Harness.start({ rules: { rules: eventRules() }, broker: { nodeName: 'n1' } });
    watcher = await h.connected({ clientId: 'watcher' });
    await watcher.subscribe(['ev/#']);
  });
  after(() => h.close());

  it('client_connack, client_check_authn_complete and client_connected carry the CONNECT', async () => {
    const dev = await h.connected({
      clientId: 'dev1',
      username: 'u1',
      keepAlive: 30,
      properties: { sessionExpiryInterval: 60, userProperties: [['k', 'v']] },
    });
    const [connected] = await records('client_connected');
    assert.equal(connected!.event, 'client.connected');
    assert.equal(connected!.clientid, 'dev1');
    assert.equal(connected!.username, 'u1');
    assert.equal(connected!.proto_name, 'MQTT');
    assert.equal(connected!.proto_ver, 5);
    assert.equal(connected!.keepalive, 30);
    assert.equal(connected!.clean_start, true);
    assert.equal(connected!.expiry_interval, 60);
    assert.equal(connected!.node, 'n1');
    assert.match(String(connected!.peername), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual((connected!.conn_props as Record<string, unknown>)['User-Property'], {
      k: 'v',
    });
    assert.equal(typeof connected!.connected_at, 'number');
    assert.equal(typeof connected!.timestamp, 'number');
    const [connack] = await records('client_connack');
    assert.equal(connack!.reason_code, 'success');
    assert.equal(connack!.event, 'client.connack');
    const [authn] = await records('client_check_authn_complete');
    assert.equal(authn!.reason_code, 'success');
    assert.equal(authn!.is_anonymous, true);
    assert.equal(authn!.username, 'u1');
    dev.disconnect();
    const [gone] = await records('client_disconnected');
    assert.equal(gone!.reason, 'normal');
    assert.equal(gone!.clientid, 'dev1');
    assert.equal(typeof gone!.disconnected_at, 'number');
  });

  it('session_subscribed, client_check_authz_complete, session_unsubscribed', async () => {
    const dev = await h.connected({ clientId: 'dev1', username: 'u1' });
    await dev.subscribe([{ topicFilter: 'data/x', qos: 1 }], { userProperties: [['s', '1']] });
    const [sub] = await records('session_subscribed');
    assert.equal(sub!.topic, 'data/x');
    assert.equal(sub!.qos, 1);
    assert.equal(sub!.peerhost, '127.0.0.1');
    assert.deepEqual((sub!.sub_props as Record<string, unknown>)['User-Property'], { s: '1' });
    const [authz] = await recordsWhere(
      'client_check_authz_complete',
      (r) => r.action === 'subscribe',
    );
    assert.equal(authz!.topic, 'data/x');
    assert.equal(authz!.result, 'allow');
    assert.equal(authz!.authz_source, 'default');
    dev.send({
      type: PacketType.Unsubscribe,
      packetId: 9,
      topicFilters: ['data/x'],
      properties: {},
    });
    await dev.expect(PacketType.Unsuback);
    const [unsub] = await records('session_unsubscribed');
    assert.equal(unsub!.topic, 'data/x');
    dev.disconnect();
  });

  it('message_delivered and message_acked name receiver and publisher; message_dropped says no_subscribers', async () => {
    const dev = await h.connected({ clientId: 'dev1', username: 'u1' });
    await dev.subscribe([{ topicFilter: 'data/x', qos: 1 }]);
    const pub = await h.connected({ clientId: 'pub1', username: 'p' });
    await pub.publish('data/x', '{"a":1}', {
      qos: 1,
      properties: { userProperties: [['x', 'y']] },
    });
    await dev.receive();
    const [delivered] = await records('message_delivered');
    assert.equal(delivered!.event, 'message.delivered');
    assert.equal(delivered!.clientid, 'dev1');
    assert.equal(delivered!.username, 'u1');
    assert.equal(delivered!.from_clientid, 'pub1');
    assert.equal(delivered!.from_username, 'p');
    assert.equal(delivered!.payload, '{"a":1}');
    assert.equal(delivered!.qos, 1);
    assert.deepEqual((delivered!.pub_props as Record<string, unknown>)['User-Property'], {
      x: 'y',
    });
    assert.match(String(delivered!.id), /^[0-9a-f]+$/);
    const [acked] = await records('message_acked');
    assert.equal(acked!.clientid, 'dev1');
    assert.equal(acked!.from_clientid, 'pub1');
    await pub.publish('nobody/x', 'lost', { qos: 1 });
    const [dropped] = await records('message_dropped');
    assert.equal(dropped!.reason, 'no_subscribers');
    assert.equal(dropped!.clientid, 'pub1');
    assert.equal(dropped!.payload, 'lost');
    dev.disconnect();
    pub.disconnect();
  });

  it('delivery_dropped: a message larger than the subscriber accepts [MQTT-3.1.2-25]', async () => {
    const small = await h.connected({ clientId: 'small', properties: { maximumPacketSize: 64 } });
    await small.subscribe([{ topicFilter: 'data/x', qos: 0 }]);
    const pub = await h.connected({ clientId: 'pub2' });
    await pub.publish('data/x', 'z'.repeat(200), { qos: 1 });
    const [dropped] = await recordsWhere('delivery_dropped', (r) => r.clientid === 'small');
    assert.equal(dropped!.reason, 'too_large');
    assert.equal(dropped!.from_clientid, 'pub2');
    assert.equal(dropped!.event, 'delivery.dropped');
    small.disconnect();
    pub.disconnect();
  });

  it('a refused CONNECT gives client_connack with the reason and no client_connected', async () => {
    const before = (seen.get('client_connected') ?? []).length;
    const { connack } = await h.connect({
      clientId: 'dev1',
      version: 5,
      properties: { authenticationMethod: 'NOPE' },
    });
    assert.notEqual(connack.reasonCode, 0);
    const [refused] = await recordsWhere('client_connack', (r) => r.reason_code !== 'success');
    assert.equal(refused!.reason_code, 'bad_authentication_method');
    assert.equal((seen.get('client_connected') ?? []).length, before);
  });
});

describe('rules: events cost nothing when no rule listens', { timeout: 60_000 }, () => {
  it('the broker event slots are set only while a rule reads the event', async () => {
    const h = await Harness.start({
      rules: { rules: [eventRules().find((r) => r.id === 'ev-client_connected')!] },
    });
    try {
      const events = h.server.broker.core.events;
      assert.equal(typeof events.clientConnected, 'function');
      for (const slot of [
        'messageDelivered',
        'messageAcked',
        'deliveryDropped',
        'messagePublish',
      ] as const)
        assert.equal(events[slot], undefined, slot);
      await h.server.rules!.deleteRule('ev-client_connected');
      assert.equal(events.clientConnected, undefined);
    } finally {
      await h.close();
    }
  });
});
