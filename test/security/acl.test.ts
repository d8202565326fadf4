// Authentication and authorization against a live broker: a password file made by the real
// mosquitto_passwd and a Mosquitto ACL file, through createAuth, every denial path in 5.0 and
// 3.1.1. A message that must not arrive is checked with a canary: a message the same client
// may read, sent after it, must be the next thing to arrive.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuth } from '../../src/auth/index.js';
import { PacketType, type ProtocolVersion } from '../../src/protocol/index.js';
import {
  type ConnectOptions,
  Harness,
  publishPacket,
  type RawClient,
  text,
} from '../conformance/raw-client.js';
import { makeTempDir, run } from './fixtures/certs.js';

const PASSWORDS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', admin: 'admin-pw' };
type User = keyof typeof PASSWORDS;

const ACL = `# alice owns users/alice/# and alice/secret
user alice
topic readwrite users/alice/#
topic readwrite alice/#
topic readwrite public/#

# bob may read everything except alice's topics: the delivery-time check is what stops him
user bob
topic deny users/alice/#
topic deny alice/#
topic read #
topic readwrite users/bob/#
topic write public/#

# carol has narrow rules only: her wildcard subscriptions are checked as filters
user carol
topic read public/+
topic readwrite users/carol/#

user admin
topic read $SYS/#
`;

const NOT_AUTHORIZED = 0x87;
const BAD_CREDENTIALS = 0x86;

describe('security: password file and ACL file on a live broker', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let h: Harness;
  let passwordFile: string;
  let passwordBytes: Buffer;
  /** alice subscribed to users/alice/#, and alice publishing (never subscribed to anything). */
  let alice: RawClient;
  let alicePub: RawClient;
  let ids = 0;

  const connectAs = (
    user: User | undefined,
    version: ProtocolVersion,
    extra: ConnectOptions = {},
  ) =>
    h.connect({
      version,
      clientId: `${user ?? 'anon'}-${version}-${++ids}`,
      username: user,
      password: user && PASSWORDS[user],
      ...extra,
    });

  const connectedAs = async (user: User, version: ProtocolVersion, extra: ConnectOptions = {}) => {
    const { client, connack } = await connectAs(user, version, extra);
    assert.equal(connack.reasonCode, 0, `${user}: CONNACK ${connack.reasonCode}`);
    return client;
  };

  /** `client`'s next PUBLISH is `topic` (acknowledged): nothing arrived before it. */
  async function nextIs(client: RawClient, topic: string, what: string) {
    const got = await client.receive();
    assert.equal(got.topic, topic, `${what}: ${got.topic} (${text(got)}) arrived first`);
  }

  before(async () => {
    temp = await makeTempDir('culex-acl-');
    passwordFile = join(temp.dir, 'passwords');
    let create = true;
    for (const [user, password] of Object.entries(PASSWORDS)) {
      const args = [...(create ? ['-c'] : []), '-b', passwordFile, user, password];
      const made = await run('mosquitto_passwd', args);
      assert.equal(made.code, 0, made.stderr);
      create = false;
    }
    passwordBytes = await readFile(passwordFile);
    const aclFile = join(temp.dir, 'acl.conf');
    await writeFile(aclFile, ACL);
    const auth = await createAuth({ passwordFile, aclFile });
    h = await Harness.start({
      authenticator: auth.authenticator,
      authorizer: auth.authorizer,
      broker: { sysInterval: 1 },
    });
    alice = await connectedAs('alice', 5, { clientId: 'alice-main' });
    alicePub = await connectedAs('alice', 5, { clientId: 'alice-pub' });
    assert.deepEqual(await alice.subscribe([{ topicFilter: 'users/alice/#', qos: 1 }]), [1]);
  });

  after(async () => {
    await h?.close();
    await temp?.remove();
  });

  it('a mosquitto_passwd file is read unchanged: every user gets in, in 5.0 and 3.1.1 [MQTT-3.1.4-5]', async () => {
    assert.match(passwordBytes.toString(), /^alice:\$7\$/m, 'mosquitto_passwd wrote $7$ hashes');
    for (const user of Object.keys(PASSWORDS) as User[]) {
      for (const version of [4, 5] as const) {
        const client = await connectedAs(user, version);
        client.disconnect();
      }
    }
    assert.deepEqual(await readFile(passwordFile), passwordBytes, 'the file was rewritten');
  });

  for (const version of [5, 4] as const) {
    const v5 = version === 5;
    /** The CONNACK code on the wire: 3.1.1 return codes 4 and 5 for 0x86 and 0x87. */
    const rc = (code: number) => (v5 ? code : code === NOT_AUTHORIZED ? 5 : 4);
    const wireConnackCode = (client: RawClient) => {
      const bytes = Buffer.concat(client.received);
      assert.equal(bytes[0], 0x20, 'CONNACK first');
      return bytes[3];
    };
    it(`v${version}: wrong password and unknown user get ${v5 ? '0x86' : 'return code 4'}, anonymous ${v5 ? '0x87' : '5'}, then closed [MQTT-3.1.4-2] [MQTT-3.2.2-7]`, async () => {
      for (const [what, user, password, code] of [
        ['wrong password', 'alice', 'bob-pw', BAD_CREDENTIALS],
        ['unknown user', 'mallory', 'x', BAD_CREDENTIALS],
        ['user name without password', 'alice', undefined, BAD_CREDENTIALS],
        ['anonymous', undefined, undefined, NOT_AUTHORIZED],
      ] as const) {
        const { client, connack } = await h.connect({
          version,
          clientId: `refused-${++ids}`,
          username: user,
          password,
        });
        assert.equal(wireConnackCode(client), rc(code), what);
        assert.equal(connack.sessionPresent, false, what);
        await client.expectClose();
      }
    });

    it(`v${version}: PUBLISH to another user's topic is ${v5 ? 'answered 0x87' : 'acknowledged and dropped [MQTT-3.3.5-2]'} and never delivered`, async () => {
      const bob = await connectedAs('bob', version);
      bob.send(publishPacket('users/alice/inbox', 'qos0 from bob'));
      assert.equal(
        await bob.publish('users/alice/inbox', 'qos1 from bob', { qos: 1 }),
        v5 ? NOT_AUTHORIZED : 0,
      );
      assert.equal(
        await bob.publish('users/alice/inbox', 'qos2 from bob', { qos: 2 }),
        v5 ? NOT_AUTHORIZED : 0,
      );
      // Through a wildcard-looking but valid topic of hers too.
      assert.equal(await bob.publish('alice/secret', 'x', { qos: 1 }), v5 ? NOT_AUTHORIZED : 0);
      // bob's allowed publish goes through (and the 3.1.1 PUBACK above was no accident).
      const carol = await connectedAs('carol', 5);
      await carol.subscribe([{ topicFilter: 'public/+', qos: 1 }]);
      assert.equal(await bob.publish('public/bob', 'allowed', { qos: 1 }), 0);
      assert.equal(text(await carol.receive()), 'allowed');
      assert.equal(await alicePub.publish('users/alice/canary', 'canary', { qos: 1 }), 0);
      await nextIs(alice, 'users/alice/canary', 'bob wrote into alice’s topics');
      bob.disconnect();
      carol.disconnect();
    });

    it(`v${version}: SUBSCRIBE filters are checked as filters, ${v5 ? '0x87' : '0x80'} per refused filter, $share/ checked on its filter [MQTT-3.8.4-6] [MQTT-3.9.3-1]`, async () => {
      const carol = await connectedAs('carol', version);
      const fail = v5 ? NOT_AUTHORIZED : 0x80;
      const filters = [
        ['public/+', 1],
        ['public/#', fail],
        ['#', fail],
        ['+/secret', fail],
        ['+/+', fail],
        ['users/alice/#', fail],
        ['users/carol/#', 1],
        ['$share/g/#', fail],
        ['$share/g/users/alice/#', fail],
        ['$share/g/public/+', 1],
        ['$SYS/#', fail],
      ] as const;
      const codes = await carol.subscribe(
        filters.map(([topicFilter]) => ({ topicFilter, qos: 1 })),
      );
      assert.deepEqual(
        codes,
        filters.map(([, code]) => code),
      );
      carol.disconnect();
    });

    it(`v${version}: bob's broad read (#, +/secret, $share/g/#) never delivers alice's messages [MQTT-4.7.2-1]`, async () => {
      const bob = await connectedAs('bob', version);
      const codes = await bob.subscribe(
        ['#', '+/secret', '$share/g/#'].map((topicFilter) => ({ topicFilter, qos: 1 })),
      );
      assert.deepEqual(codes, [1, 1, 1]);
      for (const topic of ['users/alice/x', 'alice/secret', 'users/alice/deep/er'])
        await alicePub.publish(topic, 'for alice only', { qos: 1 });
      await nextIs(alice, 'users/alice/x', 'alice herself');
      await nextIs(alice, 'users/alice/deep/er', 'alice herself');
      await alicePub.publish('public/canary', 'canary', { qos: 1 });
      // One copy through #, one through the shared subscription.
      await nextIs(bob, 'public/canary', 'alice’s message reached bob');
      await nextIs(bob, 'public/canary', 'alice’s message reached bob');
      await bob.expectNothing(200);
      bob.disconnect();
    });

    it(`v${version}: retained messages are checked when delivered at subscribe time`, async () => {
      await alicePub.publish('users/alice/retained', 'alice retained', { qos: 1, retain: true });
      await nextIs(alice, 'users/alice/retained', 'alice herself');
      await alicePub.publish('public/retained', 'public retained', { qos: 1, retain: true });
      const bob = await connectedAs('bob', version);
      assert.deepEqual(await bob.subscribe([{ topicFilter: '#', qos: 1 }]), [1]);
      // Retained messages go out with the SUBACK; the canary comes after them.
      await alicePub.publish('public/canary', 'canary', { qos: 1 });
      const seen: string[] = [];
      for (;;) {
        const got = await bob.receive();
        if (got.topic === 'public/canary') break;
        seen.push(got.topic);
      }
      assert.ok(seen.includes('public/retained'), `retained public message missing: ${seen}`);
      assert.deepEqual(
        seen.filter((t) => t.startsWith('users/alice') || t.startsWith('alice/')),
        [],
      );
      const carol = await connectedAs('carol', version);
      const codes = await carol.subscribe([{ topicFilter: 'users/alice/retained', qos: 1 }]);
      assert.deepEqual(codes, [v5 ? NOT_AUTHORIZED : 0x80]);
      await carol.expectNothing(200);
      bob.disconnect();
      carol.disconnect();
      // Clear them for the tests that follow.
      await alicePub.publish('users/alice/retained', '', { qos: 1, retain: true });
      await nextIs(alice, 'users/alice/retained', 'alice herself');
      await alicePub.publish('public/retained', '', { qos: 1, retain: true });
    });

    it(`v${version}: a will on another user's topic is refused at CONNECT with ${v5 ? '0x87' : 'return code 5'}; one on his own is accepted [MQTT-3.1.4-2]`, async () => {
      const denied = await connectAs('bob', version, { will: { topic: 'users/alice/status' } });
      assert.equal(wireConnackCode(denied.client), rc(NOT_AUTHORIZED));
      await denied.client.expectClose();
      const allowed = await connectAs('bob', version, { will: { topic: 'users/bob/status' } });
      assert.equal(allowed.connack.reasonCode, 0);
      allowed.client.disconnect();
    });
  }

  it("alice's will, published on her abnormal close, reaches her subscription and not bob's #", async () => {
    const bob = await connectedAs('bob', 5);
    await bob.subscribe([{ topicFilter: '#', qos: 1 }]);
    const dying = await connectedAs('alice', 4, {
      will: { topic: 'users/alice/status', payload: Buffer.from('offline'), qos: 1 },
    });
    dying.destroy();
    await nextIs(alice, 'users/alice/status', 'the will was not published');
    await alicePub.publish('public/canary', 'canary', { qos: 1 });
    await nextIs(bob, 'public/canary', 'alice’s will reached bob');
    bob.disconnect();
  });

  it('$SYS: only admin reads it; # does not match it, $SYS/# is refused, publishing into it is refused', async () => {
    const admin = await connectedAs('admin', 5);
    assert.deepEqual(await admin.subscribe([{ topicFilter: '$SYS/broker/uptime', qos: 0 }]), [0]);
    const uptime = await admin.expect(PacketType.Publish, 3_000);
    assert.equal(uptime.topic, '$SYS/broker/uptime');
    const bob = await connectedAs('bob', 5);
    assert.deepEqual(
      await bob.subscribe([
        { topicFilter: '$SYS/#', qos: 0 },
        { topicFilter: '$SYS/broker/uptime', qos: 0 },
        { topicFilter: '#', qos: 0 },
      ]),
      [NOT_AUTHORIZED, NOT_AUTHORIZED, 0],
    );
    assert.equal(await bob.publish('$SYS/broker/uptime', 'forged', { qos: 1 }), NOT_AUTHORIZED);
    // Statistics go out every second: none of them may reach bob's #.
    await admin.expect(PacketType.Publish, 3_000);
    await alicePub.publish('public/canary', 'canary', { qos: 1 });
    await nextIs(bob, 'public/canary', '$SYS reached bob');
    admin.disconnect();
    bob.disconnect();
  });

  it('a persistent session gets no denied message queued while it was offline', async () => {
    const session = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const bob = await connectedAs('bob', 5, { clientId: 'bob-persistent', ...session });
    await bob.subscribe([{ topicFilter: '#', qos: 1 }]);
    bob.disconnect();
    await bob.expectClose();
    await alicePub.publish('users/alice/while-away', 'secret', { qos: 1 });
    await nextIs(alice, 'users/alice/while-away', 'alice herself');
    await alicePub.publish('public/while-away', 'public', { qos: 1 });
    const back = await connectedAs('bob', 5, { clientId: 'bob-persistent', ...session });
    await nextIs(back, 'public/while-away', 'a message queued offline skipped the read check');
    back.disconnect();
  });

  it("bob taking over alice's client id gets none of her in-flight, queued or live messages [MQTT-4.4.0-1]", async () => {
    const session = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const owner = await connectedAs('alice', 5, { clientId: 'alice-persistent', ...session });
    await owner.subscribe([{ topicFilter: 'users/alice/#', qos: 1 }]);
    // One message in flight (received, never acknowledged), one queued while away.
    await alicePub.publish('users/alice/in-flight', 'secret', { qos: 1 });
    await nextIs(alice, 'users/alice/in-flight', 'alice herself');
    assert.equal((await owner.expect(PacketType.Publish)).topic, 'users/alice/in-flight');
    owner.destroy();
    await owner.expectClose();
    await alicePub.publish('users/alice/queued', 'secret', { qos: 1 });
    await nextIs(alice, 'users/alice/queued', 'alice herself');
    const thief = await connectedAs('bob', 5, { clientId: 'alice-persistent', ...session });
    await alicePub.publish('users/alice/live', 'secret', { qos: 1 });
    await nextIs(alice, 'users/alice/live', 'alice herself');
    await thief.expectNothing(300);
    thief.disconnect();
  });
});
