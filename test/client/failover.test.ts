// Several broker URLs: the client connects to the first that accepts, follows a broker that
// goes away to the next URL (round robin, backoff only between full rounds), keeps its client
// id and re-sends what was unacknowledged, and obeys 5.0 server redirection (MQTT 5.0 §4.11,
// which has no numbered statements: DISCONNECT/CONNACK 0x9C and 0x9D with Server Reference).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Message,
  MqttClient,
  ProtocolVersion,
  ReasonCode,
  connect,
} from '../../src/client/index.js';
import { type Packet, PacketType, type PublishPacket } from '../../src/protocol/index.js';
import { type CulexServer, createBroker } from '../../src/server.js';
import { type TestBroker, brokerKinds, freePort, startBroker } from './brokers.js';
import { type FakeConnection, startFakeBroker } from './fake-broker.js';

const fastReconnect = { initialDelay: 50, maxDelay: 200, jitter: 0.2 };
/** A backoff too long for any test to wait: what happens within a test happened at once. */
const slowReconnect = { initialDelay: 20_000, maxDelay: 20_000, jitter: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** The next 'connect' event, bounded. */
function nextConnect(client: MqttClient, ms = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reconnect within ${ms} ms`)), ms);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The next message on `topic`, bounded. */
function nextMessage(client: MqttClient, topic: string, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${ms} ms`)), ms);
    const listener = (m: Message) => {
      if (m.topic !== topic) return;
      clearTimeout(timer);
      client.off('message', listener);
      resolve(Buffer.from(m.payload).toString());
    };
    client.on('message', listener);
  });
}

async function culex(): Promise<{ server: CulexServer; url: string; wsUrl: string }> {
  const server = await createBroker({
    listeners: [
      { type: 'tcp', port: 0, host: '127.0.0.1' },
      { type: 'ws', port: 0, host: '127.0.0.1' },
    ],
  });
  return {
    server,
    url: `mqtt://127.0.0.1:${server.address('tcp').port}`,
    wsUrl: `ws://127.0.0.1:${server.address('ws').port}/mqtt`,
  };
}

const refusedUrl = async () => `mqtt://127.0.0.1:${await freePort()}`;

describe('client failover: several broker URLs', () => {
  const clients: MqttClient[] = [];
  const closers: (() => Promise<void>)[] = [];
  const track = (client: MqttClient) => {
    clients.push(client);
    return client;
  };
  after(async () => {
    for (const client of clients) client.destroy();
    for (const close of closers.reverse()) await close();
  });

  let b: Awaited<ReturnType<typeof culex>>;
  before(async () => {
    b = await culex();
    closers.push(() => b.server.close());
  });

  it('connects to the second URL when the first refuses the connection', async () => {
    const client = track(await connect([await refusedUrl(), b.url], { reconnect: false }));
    assert.equal(client.server, b.url);
    await client.subscribe('fo/second', { qos: 1 });
    const got = nextMessage(client, 'fo/second');
    await client.publish('fo/second', 'here', { qos: 1 });
    assert.equal(await got, 'here');
  });

  it('connects over ws:// when the mqtt:// URL before it is down', async () => {
    const client = track(await connect([await refusedUrl(), b.wsUrl]));
    assert.equal(client.server, b.wsUrl);
  });

  it('rejects after one try of each URL when none is reachable', async () => {
    const urls = [await refusedUrl(), await refusedUrl()];
    const client = new MqttClient(urls, { reconnect: fastReconnect });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await assert.rejects(client.start(), { code: 'CONNECTION_LOST' });
    assert.equal(errors.length, 1, 'the first failure is reported, the last one rejects');
    assert.match(errors[0]!.message, new RegExp(urls[0]!.split(':').pop()!));
    assert.equal(client.server, urls[1]);
  });

  it('waits the backoff between full rounds only, trying the next URL at once within one', async () => {
    const a = await culex();
    const dead = await refusedUrl();
    // 3.1.1: a closing broker drops the connection without the 0x8B that moves on at once.
    const client = track(
      await connect([a.url, dead], {
        protocolVersion: ProtocolVersion.V311,
        reconnect: { initialDelay: 40, factor: 2, maxDelay: 1_000, jitter: 0 },
      }),
    );
    const attempts: { delay: number; server: string }[] = [];
    client.on('reconnect', ({ delay, server }) => attempts.push({ delay, server }));
    await a.server.close();
    await waitUntil(() => attempts.length >= 4, 5_000, 'four reconnect attempts');
    assert.deepEqual(attempts.slice(0, 4), [
      { delay: 40, server: dead },
      { delay: 0, server: a.url },
      { delay: 80, server: dead },
      { delay: 0, server: a.url },
    ]);
  });

  for (const [name, reasonCode] of [
    ['Server busy', ReasonCode.ServerBusy],
    ['Server shutting down', ReasonCode.ServerShuttingDown],
  ] as const) {
    it(`DISCONNECT ${name} moves on to the next URL at once`, async () => {
      const a = await culex();
      closers.push(() => a.server.close());
      const client = track(
        await connect([a.url, b.url], {
          clientId: `fo-move-${reasonCode}`,
          reconnect: slowReconnect,
        }),
      );
      assert.equal(client.server, a.url);
      const moved = nextConnect(client, 2_000);
      assert.equal(a.server.broker.kick(client.clientId, reasonCode), true);
      await moved;
      assert.equal(client.server, b.url);
    });
  }
});

// A broker stops under a subscribed client: the client reconnects to the next URL (another
// scheme too) and, finding no session there, subscribes again.
for (const kind of await brokerKinds()) {
  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    describe(`client failover against ${kind}, protocol ${protocolVersion}`, () => {
      let first: TestBroker;
      let second: TestBroker;
      const clients: MqttClient[] = [];
      before(async () => {
        first = await startBroker(kind);
        second = await startBroker(kind);
      });
      after(async () => {
        for (const client of clients) client.destroy();
        await first.stop();
        await second.stop();
      });

      it('a broker that dies sends the client to the next URL, where it subscribes again', async () => {
        const clientId = `fo-${kind}-${protocolVersion}`;
        const client = await connect([first.url, second.wsUrl!], {
          protocolVersion,
          clientId,
          clean: false,
          properties: protocolVersion === ProtocolVersion.V5 ? { sessionExpiryInterval: 300 } : {},
          reconnect: fastReconnect,
        });
        clients.push(client);
        assert.equal(client.sessionPresent, false);
        await client.subscribe('fo/moved', { qos: 1 });
        const moved = nextConnect(client);
        await first.kill();
        await moved;
        assert.equal(client.server, second.wsUrl);
        assert.equal(client.clientId, clientId);
        assert.equal(client.sessionPresent, false, 'a broker of its own keeps no session of it');
        const publisher = await connect(second.url, { protocolVersion });
        clients.push(publisher);
        const got = nextMessage(client, 'fo/moved');
        // The resubscription is under way once connected; retry until the SUBACK is in.
        const sending = setInterval(() => void publisher.publish('fo/moved', 'there'), 50);
        try {
          assert.equal(await got, 'there');
        } finally {
          clearInterval(sending);
        }
      });
    });
  }
}

describe('client failover with persistent sessions', () => {
  let a: Awaited<ReturnType<typeof culex>>;
  let b: Awaited<ReturnType<typeof culex>>;
  const clients: MqttClient[] = [];
  before(async () => {
    a = await culex();
    b = await culex();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await a.server.close();
    await b.server.close();
  });

  for (const protocolVersion of [ProtocolVersion.V311, ProtocolVersion.V5]) {
    it(`round robin back to the first broker resumes its session (protocol ${protocolVersion})`, async () => {
      const clientId = `fo-persist-${protocolVersion}`;
      const topic = `fo/persist/${protocolVersion}`;
      const client = await connect([a.url, b.url], {
        protocolVersion,
        clientId,
        clean: false,
        properties: protocolVersion === ProtocolVersion.V5 ? { sessionExpiryInterval: 300 } : {},
        reconnect: fastReconnect,
      });
      clients.push(client);
      const sessions: boolean[] = [client.sessionPresent!];
      client.on('connect', (connack) => sessions.push(connack.sessionPresent));
      await client.subscribe(topic, { qos: 1 });

      let back = nextConnect(client);
      a.server.broker.kick(clientId);
      await back;
      assert.equal(client.server, b.url);
      // Meanwhile a message for the session the client left on the first broker.
      a.server.publish(topic, 'kept for you', { qos: 1 });

      const kept = nextMessage(client, topic);
      back = nextConnect(client);
      b.server.broker.kick(clientId);
      await back;
      assert.equal(client.server, a.url);
      assert.equal(await kept, 'kept for you');
      assert.deepEqual(sessions, [false, false, true]);
      assert.equal(client.clientId, clientId);
    });
  }

  for (const qos of [1, 2] as const) {
    it(`an unacknowledged QoS ${qos} PUBLISH is sent again, with DUP, to the next broker`, async () => {
      const first = await startFakeBroker(); // never acknowledges
      const second = await startFakeBroker({ onPacket: acknowledge });
      try {
        const client = await connect([first.url, second.url], {
          clientId: `fo-resend-${qos}`,
          clean: false,
          properties: { sessionExpiryInterval: 300 },
          reconnect: fastReconnect,
        });
        clients.push(client);
        const published = client.publish('fo/resend', 'once more', { qos });
        const onFirst = await (await first.connection(0)).waitFor(isPublish);
        await first.close();
        const connection = await second.connection(0);
        const connectPacket = connection.packets[0];
        assert.ok(connectPacket?.type === PacketType.Connect);
        assert.equal(connectPacket.clientId, `fo-resend-${qos}`);
        assert.equal(connectPacket.clean, false);
        const again = await connection.waitFor(isPublish);
        assert.equal(again.dup, true);
        assert.equal(again.packetId, onFirst.packetId);
        assert.equal(Buffer.from(again.payload).toString(), 'once more');
        assert.equal((await published)?.reasonCode, ReasonCode.Success);
      } finally {
        await first.close();
        await second.close();
      }
    });
  }
});

describe('client failover: 5.0 server redirection (MQTT 5.0 §4.11)', () => {
  const clients: MqttClient[] = [];
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const client of clients) client.destroy();
    for (const close of closers) await close();
  });

  it('DISCONNECT 0x9C Use another server with a Server Reference moves there first', async () => {
    const target = await culex();
    const next = await culex();
    const first = await startFakeBroker();
    closers.push(
      () => target.server.close(),
      () => next.server.close(),
      () => first.close(),
    );
    const client = await connect([first.url, next.url], { reconnect: slowReconnect });
    clients.push(client);
    const moved = nextConnect(client, 2_000);
    (await first.connection(0)).send(disconnect(ReasonCode.UseAnotherServer, target.url));
    await moved;
    assert.equal(client.server, target.url, 'the reference, not the next URL of the list');
    assert.deepEqual(
      client.servers.map((s) => s.port),
      [new URL(first.url).port, new URL(next.url).port].map(Number),
      'a temporary redirection leaves the list as it was',
    );
  });

  it('DISCONNECT 0x9D Server moved replaces the server in the list by its reference', async () => {
    const target = await culex();
    const next = await culex();
    const first = await startFakeBroker();
    closers.push(
      () => target.server.close(),
      () => next.server.close(),
      () => first.close(),
    );
    const client = await connect([first.url, next.url], { reconnect: slowReconnect });
    clients.push(client);
    const moved = nextConnect(client, 2_000);
    // host:port: the scheme (and credentials) of the server that sent it.
    const reference = `127.0.0.1:${target.server.address('tcp').port}`;
    (await first.connection(0)).send(disconnect(ReasonCode.ServerMoved, reference));
    await moved;
    assert.equal(client.server, target.url);
    assert.deepEqual(
      client.servers.map((s) => s.port),
      [target.server.address('tcp').port, Number(new URL(next.url).port)],
    );
  });

  it('CONNACK 0x9C with a Server Reference sends connect() to the referenced broker', async () => {
    const target = await culex();
    const first = await startFakeBroker({
      connack: () => ({
        reasonCode: ReasonCode.UseAnotherServer,
        properties: { serverReference: target.wsUrl },
      }),
    });
    closers.push(
      () => target.server.close(),
      () => first.close(),
    );
    const client = await connect(first.url, { reconnect: slowReconnect });
    clients.push(client);
    assert.equal(client.server, target.wsUrl);
  });
});

const isPublish = (packet: Packet): packet is PublishPacket => packet.type === PacketType.Publish;

/** A fake broker's answers to QoS 1 and 2 flows. */
function acknowledge(packet: Packet, connection: FakeConnection): void {
  const answer = { reasonCode: ReasonCode.Success, properties: {} };
  if (packet.type === PacketType.Pubrel) {
    connection.send({ type: PacketType.Pubcomp, packetId: packet.packetId, ...answer });
  } else if (packet.type === PacketType.Publish && packet.qos > 0) {
    const type = packet.qos === 1 ? PacketType.Puback : PacketType.Pubrec;
    connection.send({ type, packetId: packet.packetId!, ...answer });
  }
}

function disconnect(reasonCode: number, serverReference: string): Packet {
  return { type: PacketType.Disconnect, reasonCode, properties: { serverReference } };
}
