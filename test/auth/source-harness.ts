// Shared by the database/LDAP/JWKS source tests: a real broker whose auth comes from createAuth
// (as `culex start` builds it), MQTT.js connects that report the CONNACK reason code, and a
// steady publish load that shows connected clients keep their traffic during a source outage.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type mqtt from 'mqtt';
import { type Auth, createAuth } from '../../src/auth/index.js';
import type { AccessDenial } from '../../src/auth/decision.js';
import { ReasonCode } from '../../src/protocol/constants.js';
import { type Harness, startHarness, waitFor } from '../admin/helpers.js';

export interface AuthBroker extends Harness {
  auth: Auth;
  denials: AccessDenial[];
  /** 0 when the CONNECT was accepted, else the CONNACK reason code (or -1: no CONNACK). */
  tryConnect(options: mqtt.IClientOptions): Promise<number>;
}

export async function startAuthBroker(config: Record<string, unknown>): Promise<AuthBroker> {
  const denials: AccessDenial[] = [];
  const auth = await createAuth(config, { log: (denial) => denials.push(denial) });
  const harness = await startHarness({
    authenticator: auth.authenticator,
    authorizer: auth.authorizer.size > 0 ? auth.authorizer : undefined,
    http: { authSources: auth.sources, config: { auth: config } },
  });
  after(() => auth.close());
  const tryConnect = async (options: mqtt.IClientOptions) => {
    let timer: NodeJS.Timeout | undefined;
    // MQTT.js never settles connectAsync when the socket closes without a CONNACK.
    const noAnswer = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(-1), 5_000);
    });
    const attempt = harness.connect(String(options.clientId ?? 'probe'), options).then(
      async (client) => {
        await client.endAsync(true);
        return 0;
      },
      (error) => {
        const code = (error as { code?: number }).code;
        return typeof code === 'number' ? code : -1;
      },
    );
    return Promise.race([attempt, noAnswer]).finally(() => clearTimeout(timer));
  };
  return Object.assign(harness, { auth, denials, tryConnect });
}

/** A publisher sending QoS 1 every `everyMs` to `topic` and a subscriber counting arrivals. */
export async function steadyTraffic(
  broker: AuthBroker,
  credentials: { publisher: mqtt.IClientOptions; subscriber: mqtt.IClientOptions },
  topic: string,
  everyMs = 10,
) {
  const subscriber = await broker.connect('load-sub', {
    protocolVersion: 5,
    ...credentials.subscriber,
  });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  subscriber.on('message', () => received++);
  const publisher = await broker.connect('load-pub', {
    protocolVersion: 5,
    ...credentials.publisher,
  });
  let failures = 0;
  const timer = setInterval(() => {
    publisher.publishAsync(topic, 'x', { qos: 1 }).catch(() => failures++);
  }, everyMs);
  after(() => clearInterval(timer));
  return {
    get received() {
      return received;
    },
    get failures() {
      return failures;
    },
    /** Resolves once `count` more messages have arrived. */
    async more(count: number, ms = 5_000) {
      const target = received + count;
      await waitFor(() => received >= target, ms, `${count} more messages`);
    },
    stop: () => clearInterval(timer),
  };
}

/** The figures of one source from GET /api/v1/metrics. */
export async function sourceFigures(broker: AuthBroker, name: string) {
  const { body } = await broker.api('GET', '/api/v1/metrics');
  return (body.authSources as { name: string; [k: string]: unknown }[]).find(
    (s) => s.name === name,
  );
}

export interface Outage {
  /** The source's name in the figures. */
  name: string;
  source: { stop(): Promise<void>; start(): Promise<void> };
  /** Connected throughout, publishing to and subscribed on `topic`. */
  loader: mqtt.IClientOptions;
  topic: string;
  /** Refused with 0x88 while the source is down, let in once it is back. */
  newcomer: mqtt.IClientOptions;
  /** More checks while down (after the first refusal), and once the source is started again. */
  whileDown?: () => Promise<void>;
  afterStart?: () => Promise<void>;
}

/**
 * The source stopped under load: the deny policy refuses a newcomer with 0x88 (never an
 * entry), connected clients keep their traffic, and service resumes when the source returns.
 */
export async function outageUnderLoad(broker: AuthBroker, outage: Outage): Promise<void> {
  const { loader, newcomer } = outage;
  const traffic = await steadyTraffic(
    broker,
    { publisher: loader, subscriber: loader },
    outage.topic,
  );
  await traffic.more(20);
  await outage.source.stop();
  try {
    assert.equal(
      await broker.tryConnect({ ...newcomer, clientId: 'down-1' }),
      ReasonCode.ServerUnavailable,
    );
    await outage.whileDown?.();
    await traffic.more(20);
    assert.equal(traffic.failures, 0);
    assert.ok(((await sourceFigures(broker, outage.name))!.errors as number) >= 1);
  } finally {
    await outage.source.start();
  }
  await outage.afterStart?.();
  const back = async () => (await broker.tryConnect({ ...newcomer, clientId: 'back-1' })) === 0;
  await waitFor(back, 10_000, 'service back');
  traffic.stop();
}

/**
 * The ACL every database test holds for alice: all of devices/%c/# and subscribe news/+; and
 * root, a superuser. `extra` runs more checks as alice (client id dev1).
 */
export async function checkDeviceAcl(
  broker: AuthBroker,
  extra: (alice: mqtt.MqttClient) => Promise<void>,
): Promise<void> {
  const alice = await broker.connect('dev1', {
    username: 'alice',
    password: 'alice-pw',
    protocolVersion: 5,
  });
  const granted = await alice.subscribeAsync(['devices/dev1/#', 'news/today']);
  assert.deepEqual(
    granted.map((g) => g.qos),
    [0, 0],
  );
  await assert.rejects(alice.subscribeAsync('devices/dev2/#'), /Not authorized/);
  await extra(alice);
  const root = await broker.connect('r1', {
    username: 'root',
    password: 'root-pw',
    protocolVersion: 5,
  });
  assert.equal((await root.subscribeAsync('#'))[0]!.qos, 0, 'is_superuser: no ACL applies');
}
