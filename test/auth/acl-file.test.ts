import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { AclFileAuthorizer, parseAclFile } from '../../src/auth/acl-file.js';
import { filterCovers, substituteIdentity } from '../../src/auth/acl-match.js';
import type { AccessDenial } from '../../src/auth/decision.js';
import type { MessageRecord } from '../../src/broker/ports.js';
import { topicMatches } from '../../src/topic/match.js';
import { client, makeTempDir } from './helpers.js';

const message: MessageRecord = {
  topic: 't',
  payload: new Uint8Array(),
  qos: 0,
  retain: false,
  properties: {},
};

function acl(text: string, log?: (denial: AccessDenial) => void) {
  return new AclFileAuthorizer(parseAclFile(text, 'acl.conf'), { file: 'acl.conf', log });
}

describe('filterCovers', () => {
  const table: [rule: string, subscription: string, covers: boolean][] = [
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false], // a/# matches a/b/c and a
    ['a/+', '#', false],
    ['a/+', '+/b', false],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true], // '#' matches the parent level too
    ['a/#', 'a/#', true],
    ['a/#', 'a/+/c/#', true],
    ['a', 'a/#', false],
    ['a/b', 'a/+', false],
    ['#', '#', true],
    ['#', '+/+', true],
    ['+/#', '#', true], // every topic has a first level
    ['+/+', '#', false],
    ['+', '+', true],
    ['+', 'a/b', false],
    ['a//b', 'a/+/b', false],
    ['a/+/b', 'a//b', true],
    // [MQTT-4.7.2-1]: wildcard-first rules never reach "$" topics; only explicit rules do.
    ['#', '$SYS/#', false],
    ['#', '$SYS', false],
    ['+/#', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/+', true],
    ['$SYS/#', '#', false],
    ['#', '+/broker', true], // a subscription starting with '+' matches no "$" topic either
  ];
  for (const [rule, subscription, covers] of table) {
    test(`rule ${rule} ${covers ? 'covers' : 'does not cover'} ${subscription}`, () => {
      assert.equal(filterCovers(rule, subscription), covers);
    });
  }

  // Exhaustive check against topicMatches over every topic of a small universe: the levels of
  // both filters, a fresh level, a "$" level, and one level more than either filter has.
  const level = fc.constantFrom('a', 'b', '', '$x');
  const filter = fc
    .tuple(
      fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    )
    .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
    .chain((f) => fc.constantFrom(f, '#', '+/#'));
  function* topics(depth: number, levels: string[]): Generator<string> {
    if (depth === 0) return;
    for (const first of levels) {
      yield first;
      for (const rest of topics(depth - 1, levels)) yield `${first}/${rest}`;
    }
  }
  test('agrees with topicMatches: covers exactly when no topic is matched by the subscription alone', () => {
    fc.assert(
      fc.property(filter, filter, (rule, subscription) => {
        const depth = Math.max(rule.split('/').length, subscription.split('/').length) + 1;
        let counterexample = false;
        for (const topic of topics(depth, ['a', 'b', '', '$x', 'fresh'])) {
          if (topicMatches(subscription, topic) && !topicMatches(rule, topic))
            counterexample = true;
        }
        assert.equal(
          filterCovers(rule, subscription),
          !counterexample,
          `${rule} vs ${subscription}`,
        );
      }),
      { numRuns: 400 },
    );
  });
});

describe('substituteIdentity', () => {
  test('%u and %c (and EMQX spellings) take the user name and client id', () => {
    const c = client({ username: 'u1', clientId: 'dev-7' });
    assert.equal(substituteIdentity('users/%u/%c/x', c), 'users/u1/dev-7/x');
    assert.equal(substituteIdentity('a/${username}/${clientid}', c), 'a/u1/dev-7');
    assert.equal(substituteIdentity('sensor-%c', c), 'sensor-dev-7');
    assert.equal(substituteIdentity('plain/topic', c), 'plain/topic');
  });

  test('identities holding + # or / never widen a rule (CVE-2017-7650)', () => {
    for (const name of ['#', '+', 'a/b', 'x#']) {
      assert.equal(substituteIdentity('users/%u', client({ username: name })), undefined);
      assert.equal(substituteIdentity('devices/%c', client({ clientId: name })), undefined);
    }
    assert.equal(substituteIdentity('users/%u', client({ username: undefined })), undefined);
  });
});

describe('parseAclFile', () => {
  test('reads sections, default access, patterns and topics with blanks', () => {
    const rules = parseAclFile(
      [
        '# anonymous clients',
        'topic read public/#',
        '',
        'user alice smith',
        '  topic weather/today  ',
        'topic deny weather/secret\r',
        'pattern write devices/%c/state',
        'user bob',
        'topic readwrite bob/#',
      ].join('\n'),
      'acl.conf',
    );
    assert.deepEqual(
      rules.map(({ kind, access, filter, user }) => ({ kind, access, filter, user })),
      [
        { kind: 'topic', access: 'read', filter: 'public/#', user: undefined },
        { kind: 'topic', access: 'readwrite', filter: 'weather/today', user: 'alice smith' },
        { kind: 'topic', access: 'deny', filter: 'weather/secret', user: 'alice smith' },
        { kind: 'pattern', access: 'write', filter: 'devices/%c/state', user: undefined },
        { kind: 'topic', access: 'readwrite', filter: 'bob/#', user: 'bob' },
      ],
    );
    assert.equal(rules[2]!.origin, 'acl.conf:6 topic deny weather/secret');
    const spaced = parseAclFile('topic read my topic/x\ntopic my other topic', 'f');
    assert.deepEqual(
      spaced.map((rule) => [rule.access, rule.filter]),
      [
        ['read', 'my topic/x'],
        ['readwrite', 'my other topic'],
      ],
    );
  });

  test('errors name the file and line', () => {
    assert.throws(
      () => parseAclFile('topic a\nsubscribe b', 'acl.conf'),
      /^Error: acl\.conf:2: unknown keyword "subscribe"/,
    );
    assert.throws(
      () => parseAclFile('\nuser', 'acl.conf'),
      /acl\.conf:2: "user" needs a user name/,
    );
    assert.throws(
      () => parseAclFile('topic read', 'acl.conf'),
      /acl\.conf:1: "topic" needs a topic filter/,
    );
    assert.throws(() => parseAclFile('topic read a/#/b', 'acl.conf'), /acl\.conf:1: .*'#'/);
    assert.throws(() => parseAclFile('pattern read a+/%u', 'acl.conf'), /acl\.conf:1: .*'\+'/);
  });
});

describe('AclFileAuthorizer', () => {
  const rules = [
    'topic read public/#',
    'pattern readwrite users/%u/#',
    'pattern write devices/%c/state',
    'user alice',
    'topic read sensors/+',
    'topic write commands/alice',
    'user admin',
    'topic readwrite #',
    'topic read $SYS/#',
    'topic deny secret/#',
  ].join('\n');

  test('topic lines before any user line apply to anonymous clients only; patterns to all', () => {
    const a = acl(rules);
    const anonymous = client({ username: undefined, clientId: 'anon' });
    assert.equal(a.authorizeSubscribe(anonymous, 'public/#'), true);
    assert.equal(a.authorizeRead(anonymous, 'public/news'), true);
    assert.equal(a.authorizePublish(anonymous, 'public/news', message), false);
    assert.equal(a.authorizeRead(client(), 'public/news'), false, 'alice is no anonymous client');
    assert.equal(a.authorizePublish(anonymous, 'devices/anon/state', message), true);
    assert.equal(a.authorizePublish(client({ clientId: 'd1' }), 'devices/d1/state', message), true);
    assert.equal(
      a.authorizePublish(client({ clientId: 'd1' }), 'devices/d2/state', message),
      false,
    );
  });

  test('user sections and %u patterns', () => {
    const a = acl(rules);
    const alice = client();
    assert.equal(a.authorizePublish(alice, 'commands/alice', message), true);
    assert.equal(a.authorizeRead(alice, 'commands/alice'), false, 'write only');
    assert.equal(a.authorizeRead(alice, 'sensors/t1'), true);
    assert.equal(a.authorizePublish(alice, 'sensors/t1', message), false, 'read only');
    assert.equal(a.authorizePublish(alice, 'users/alice/inbox', message), true);
    assert.equal(a.authorizeRead(alice, 'users/bob/inbox'), false);
    assert.equal(a.authorizePublish(client({ username: 'bob' }), 'commands/alice', message), false);
    const anonymous = client({ username: undefined });
    assert.equal(a.authorizeSubscribe(anonymous, 'users/+/inbox'), false, '%u needs a user name');
    assert.equal(a.authorizeSubscribe(client({ username: '+' }), 'users/+/inbox'), false);
    assert.equal(a.authorizeSubscribe(client({ username: '#' }), 'users/#'), false);
  });

  test('a subscription is checked as a filter, never as a topic', () => {
    const a = acl(rules);
    const alice = client();
    assert.equal(a.authorizeSubscribe(alice, 'sensors/t1'), true);
    assert.equal(a.authorizeSubscribe(alice, 'sensors/+'), true);
    assert.equal(a.authorizeSubscribe(alice, 'sensors/#'), false, 'would match sensors/t1/x');
    assert.equal(a.authorizeSubscribe(alice, '#'), false);
    assert.equal(a.authorizeSubscribe(alice, '+/+'), false);
    assert.equal(a.authorizeSubscribe(alice, 'commands/alice'), false, 'write is no read');
  });

  test('$SYS only through a rule naming it [MQTT-4.7.2-1]', () => {
    const a = acl(`${rules}\nuser carol\ntopic readwrite #\ntopic readwrite +/broker/#`);
    const carol = client({ username: 'carol' });
    assert.equal(a.authorizeRead(carol, 'anything/at/all'), true);
    assert.equal(a.authorizeRead(carol, '$SYS/broker/uptime'), false);
    assert.equal(a.authorizeSubscribe(carol, '$SYS/#'), false);
    assert.equal(a.authorizeSubscribe(carol, '$SYS/broker/uptime'), false);
    assert.equal(a.authorizePublish(carol, '$SYS/broker/uptime', message), false);
    const admin = client({ username: 'admin' });
    assert.equal(a.authorizeSubscribe(admin, '$SYS/#'), true);
    assert.equal(a.authorizeRead(admin, '$SYS/broker/uptime'), true);
  });

  test('deny rules come first; a partly denied subscription is filtered per message', () => {
    const denials: AccessDenial[] = [];
    const a = acl(rules, (denial) => denials.push(denial));
    const admin = client({ username: 'admin', clientId: 'root-1' });
    assert.equal(a.authorizePublish(admin, 'secret/plans', message), false);
    assert.equal(a.authorizeSubscribe(admin, 'secret/#'), false);
    assert.equal(a.authorizeSubscribe(admin, 'secret/+/x'), false);
    // '#' overlaps secret/#: the subscription stands, delivery of secret/* is refused.
    assert.equal(a.authorizeSubscribe(admin, '#'), true);
    assert.equal(a.authorizeRead(admin, 'secret/plans'), false);
    assert.equal(a.authorizeRead(admin, 'open/plans'), true);
    assert.deepEqual(denials[0], {
      clientId: 'root-1',
      username: 'admin',
      action: 'publish',
      topic: 'secret/plans',
      source: 'acl-file',
      rule: 'acl.conf:10 topic deny secret/#',
    });
    assert.equal(denials.length, 4);
    assert.equal(denials[3]!.action, 'read');
  });

  test('no matching rule: deny (logged), or ignore for chains when configured', () => {
    const denials: AccessDenial[] = [];
    const a = acl('user alice\ntopic read a', (denial) => denials.push(denial));
    assert.equal(a.authorizePublish(client(), 'b', message), false);
    assert.equal(denials[0]!.rule, 'acl.conf: no rule matched');
    assert.deepEqual(a.decide(client(), 'publish', 'b'), {
      decision: 'deny',
      rule: 'acl.conf: no rule matched',
    });
    const lenient = new AclFileAuthorizer(parseAclFile('user alice\ntopic read a', 'f'), {
      noMatch: 'ignore',
    });
    assert.deepEqual(lenient.decide(client(), 'publish', 'b'), { decision: 'ignore' });
    assert.equal(lenient.decideRead(client(), 'a').decision, 'allow');
  });
});

describe('AclFileAuthorizer.fromConfig', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    temp = await makeTempDir();
  });
  after(() => temp.remove());

  test('reads the file, reloads it, keeps the old rules when the new file is broken', async () => {
    const file = join(temp.dir, 'acl.conf');
    await writeFile(file, 'user alice\ntopic read a/#\n');
    const a = await AclFileAuthorizer.fromConfig({ file });
    const alice = client();
    assert.equal(a.authorizeRead(alice, 'a/b'), true);
    assert.equal(a.authorizeRead(alice, 'b/c'), false);
    await writeFile(file, 'user alice\ntopic read b/#\n');
    await a.reload();
    assert.equal(a.authorizeRead(alice, 'a/b'), false, 'rules cached per client are dropped');
    assert.equal(a.authorizeRead(alice, 'b/c'), true);
    await writeFile(file, 'user alice\ntopik read a/#\n');
    await assert.rejects(a.reload(), /acl\.conf:2: unknown keyword "topik"/);
    assert.equal(a.authorizeRead(alice, 'b/c'), true);
  });

  test('bad options are named', async () => {
    await assert.rejects(
      AclFileAuthorizer.fromConfig({ file: 'x', noMatch: 'allow' }),
      /auth\.aclFile\.noMatch: expected one of deny, ignore/,
    );
    await assert.rejects(
      AclFileAuthorizer.fromConfig('acl.conf'),
      /auth\.aclFile: expected an object/,
    );
  });
});
