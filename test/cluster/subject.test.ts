// The topic ↔ subject mapping of src/cluster/subject.ts: a bijection (every valid MQTT topic
// routes, and comes back unchanged), and NATS matching of the mapped filter agrees with MQTT
// matching of the filter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeToken,
  encodeToken,
  filterToSubjects,
  subjectToTopic,
  topicToSubject,
} from '../../src/cluster/subject.js';
import { topicMatches } from '../../src/topic/index.js';

/** (topic, subject): the escapes a reader of NATS' monitoring pages will meet. */
const table: [topic: string, subject: string][] = [
  ['sensors/kitchen/temp', 'p.sensors.kitchen.temp'],
  ['a.b', 'p.a=2Eb'],
  ['a b', 'p.a=20b'],
  ['*', 'p.=2A'],
  ['>', 'p.=3E'],
  ['a//b', 'p.a.=.b'],
  ['/lead', 'p.=.lead'],
  ['trail/', 'p.trail.='],
  ['/', 'p.=.='],
  ['=', 'p.=3D'],
  ['%41', 'p.=2541'],
  ['$SYS/broker', 'p.=24SYS.broker'],
  ['温', 'p.=E6=B8=A9'],
  ['A-Z_09', 'p.A-Z_09'],
];

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function natsMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const topicLevel = fc.oneof(
  fc.constantFrom('', 'a', 'b', '.', '*', '>', ' ', '=', '=2E', '$', 'a.b', '温度'),
  fc.string({ maxLength: 6 }).filter((s) => !/[/+#\u0000]/.test(s)),
);
const topic = fc.array(topicLevel, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filterLevel = fc.oneof(topicLevel, fc.constant('+'));
const filter = fc
  .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));

describe('cluster subjects: topics as NATS subjects', () => {
  it('maps the table of topics to the expected subjects and back', () => {
    for (const [t, subject] of table) {
      assert.equal(topicToSubject('p', t), subject, t);
      assert.equal(subjectToTopic('p', subject), t, subject);
    }
  });

  it('is a bijection: every valid topic comes back unchanged, distinct topics never share a subject', () => {
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        const sa = topicToSubject('p', a);
        assert.equal(subjectToTopic('p', sa), a);
        assert.equal(sa === topicToSubject('p', b), a === b);
        // Tokens are never empty and never NATS wildcards or separators.
        for (const token of sa.split('.')) assert.match(token, /^[A-Za-z0-9_\-=]+$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses tokens the encoding cannot produce', () => {
    for (const bad of ['a=', '=4', '=41', '=zz', 'a b', '=2e', '==']) {
      assert.throws(() => decodeToken(bad), /not an encoded token/, bad);
    }
    assert.equal(decodeToken(encodeToken('')), '');
  });

  it('filters: NATS matching of the mapped subjects agrees with MQTT matching [MQTT-4.7.1-2] [MQTT-4.7.1-3]', () => {
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        // The '$' rule [MQTT-4.7.2-1] is the receiving node's index's job, not the subject's.
        fc.pre(!t.startsWith('$'));
        const subject = topicToSubject('p', t);
        const nats = filterToSubjects('p', f).some((pattern) => natsMatches(pattern, subject));
        assert.equal(nats, topicMatches(f, t), `${f} vs ${t}`);
      }),
      { numRuns: 5000 },
    );
  });

  it("'#' also matches its parent level, so a/# takes two subjects", () => {
    assert.deepEqual(filterToSubjects('p', 'a/#'), ['p.a.>', 'p.a']);
    assert.deepEqual(filterToSubjects('p', '#'), ['p.>']);
    assert.deepEqual(filterToSubjects('p', '+/x/+'), ['p.*.x.*']);
  });
});
