// The LDAP source against a real OpenLDAP (slapd with a temp config, data added by ldapadd).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createAuth } from '../../src/auth/index.js';
import { escapeFilterValue } from '../../src/auth/ldap.js';
import { ReasonCode } from '../../src/protocol/constants.js';
import { connectRequest } from './helpers.js';
import { INJECTIONS } from './injections.js';
import {
  LDAP_ADMIN,
  LDAP_ADMIN_PASSWORD,
  LDAP_SUFFIX,
  type ManagedServer,
  startSlapd,
} from './servers.js';
import { outageUnderLoad, startAuthBroker } from './source-harness.js';

function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const PEOPLE = `ou=people,${LDAP_SUFFIX}`;
const person = (uid: string, password: string) => `dn: uid=${uid},${PEOPLE}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${uid}
sn: ${uid}
userPassword: ${password}
`;

const LDIF = [
  `dn: ${LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
  `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
  `dn: ou=groups,${LDAP_SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
  person('alice', ssha('alice-pw')),
  person('bob', 'bob-pw'),
  person('mallory', ssha('mallory-pw')),
  `dn: cn=operators,ou=groups,${LDAP_SUFFIX}\nobjectClass: groupOfNames\ncn: operators\nmember: uid=alice,${PEOPLE}\n`,
  `dn: cn=loaders,ou=groups,${LDAP_SUFFIX}\nobjectClass: groupOfNames\ncn: loaders\nmember: uid=bob,${PEOPLE}\n`,
].join('\n');

let server: ManagedServer & { url: string };

before(async () => {
  server = await startSlapd(LDIF);
});
after(() => server?.remove());

const ldap = (extra: Record<string, unknown> = {}) => ({
  url: server.url,
  bindDn: LDAP_ADMIN,
  bindPassword: LDAP_ADMIN_PASSWORD,
  baseDn: PEOPLE,
  filter: '(&(objectClass=inetOrgPerson)(uid=${username}))',
  groupBaseDn: `ou=groups,${LDAP_SUFFIX}`,
  groupFilter: '(&(objectClass=groupOfNames)(member=${dn}))',
  acl: [
    { group: 'operators', permission: 'allow', action: 'all', topic: 'plant/#' },
    { group: 'loaders', permission: 'allow', action: 'all', topic: 'load/#' },
  ],
  ...extra,
});

const request = connectRequest;

describe('LDAP authentication', () => {
  test('bind as the user found by the search; groups become attributes', async () => {
    const auth = await createAuth({ ldap: ldap() });
    try {
      const ok = await auth.authenticator.authenticate(request('alice', 'alice-pw'));
      assert.deepEqual(ok, {
        ok: true,
        username: 'alice',
        attributes: { ldap: { groups: ['operators'] } },
      });
      const plain = await auth.authenticator.authenticate(request('bob', 'bob-pw'));
      assert.equal(plain.ok, true, 'slapd compares a plain userPassword at bind');
      const wrong = await auth.authenticator.authenticate(request('alice', 'bob-pw'));
      assert.equal(!wrong.ok && wrong.reasonCode, ReasonCode.BadUserNameOrPassword);
      const unknown = await auth.authenticator.authenticate(request('nobody', 'x'));
      assert.equal(unknown.ok, false);
    } finally {
      await auth.close();
    }
  });

  test('an empty password is refused before any bind (no unauthenticated bind, RFC 4513 5.1.2)', async () => {
    const auth = await createAuth({ ldap: ldap() });
    const empty = await auth.authenticator.authenticate(request('alice', ''));
    assert.equal(empty.ok, false);
    assert.equal(auth.sources()[0]!.queries, 0);
  });

  test('method password: {SSHA} checked by Culex; plain text only with allowPlainPassword', async () => {
    const strict = await createAuth({ ldap: ldap({ method: 'password' }) });
    const lenient = await createAuth({
      ldap: ldap({ method: 'password', allowPlainPassword: true }),
    });
    assert.equal((await strict.authenticator.authenticate(request('alice', 'alice-pw'))).ok, true);
    assert.equal((await strict.authenticator.authenticate(request('alice', 'alice-px'))).ok, false);
    assert.equal((await strict.authenticator.authenticate(request('bob', 'bob-pw'))).ok, false);
    assert.equal((await lenient.authenticator.authenticate(request('bob', 'bob-pw'))).ok, true);
  });

  test('filter values are escaped per RFC 4515', () => {
    assert.equal(escapeFilterValue('a*b(c)d\\e\u0000'), 'a\\2ab\\28c\\29d\\5ce\\00');
  });

  test('injection: filter metacharacters, wildcards and NUL in user names widen nothing', async () => {
    const auth = await createAuth({ ldap: ldap(), allowAnonymous: false });
    for (const evil of INJECTIONS) {
      for (const password of ['alice-pw', 'mallory-pw', 'bob-pw']) {
        const result = await auth.authenticator.authenticate(request(evil, password));
        assert.equal(result.ok, false, `user name ${JSON.stringify(evil)} / ${password}`);
      }
    }
  });
});

describe('LDAP groups in ACLs, and LDAP down', () => {
  test('group rules over MQTT; slapd stopped under load: 0x88, traffic goes on, service resumes', async () => {
    const broker = await startAuthBroker({ ldap: ldap({ timeoutMs: 1000 }) });
    const alice = await broker.connect('a1', {
      username: 'alice',
      password: 'alice-pw',
      protocolVersion: 5,
    });
    assert.equal((await alice.subscribeAsync('plant/#'))[0]!.qos, 0);
    await assert.rejects(alice.subscribeAsync('load/#'), /Not authorized/);
    await outageUnderLoad(broker, {
      name: 'ldap',
      source: server,
      loader: { username: 'bob', password: 'bob-pw' },
      topic: 'load/a',
      newcomer: { username: 'mallory', password: 'mallory-pw', protocolVersion: 5 },
    });
  });
});
