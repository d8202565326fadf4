import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscriptionIndex, topicMatches } from '../../src/topic/index.js';

/** (filter, topic, expected): the spec's 4.7 examples first, then NATS-style edge cases. */
const table: [filter: string, topic: string, expected: boolean][] = [
  // 4.7.1.2 multi-level wildcard
  ['sport/tennis/player1/#', 'sport/tennis/player1', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/tennis/player1/#', 'sport/tennis/player2', false],
  ['sport/tennis/player1/#', 'sport/tennis', false],
  ['sport/#', 'sport', true],
  ['sport/#', 'sport/', true],
  ['#', 'sport/tennis/player1', true],
  ['#', '/', true],
  ['#', 'a', true],
  // 4.7.1.3 single-level wildcard
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player2', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true],
  ['+', 'sport', true],
  ['+', '/finance', false],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+/tennis/#', 'sport/tennis/player1', true],
  ['+/tennis/#', 'sport/tennis', true],
  ['+/tennis/#', 'sport/squash', false],
  ['sport/+/player1', 'sport/tennis/player1', true],
  ['sport/+/player1', 'sport/tennis/player2', false],
  // 4.7.2 topics beginning with $ [MQTT-4.7.2-1]
  ['#', '$SYS/broker/uptime', false],
  ['+/monitor/Clients', '$SYS/monitor/Clients', false],
  ['$SYS/#', '$SYS/monitor/Clients', true],
  ['$SYS/#', '$SYS', true],
  ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ['+/#', '$SYS/x', false],
  ['+', '$SYS', false],
  ['a/+', 'a/$b', true],
  ['a/#', 'a/$b/c', true],
  ['$share/g/#', '$share/g/x', true],
  // exact and literal matching, no normalisation [MQTT-4.7.3-4]
  ['foo/bar', 'foo/bar', true],
  ['foo/bar', 'foo/baz', false],
  ['foo/bar', 'foo/bar/baz', false],
  ['foo/bar/baz', 'foo/bar', false],
  ['Foo/bar', 'foo/bar', false],
  ['foo', 'foo ', false],
  ['foo/bar', 'foo//bar', false],
  ['caf\u00e9', 'cafe\u0301', false],
  // empty levels are levels
  ['a//b', 'a//b', true],
  ['a/+/b', 'a//b', true],
  ['/a', '/a', true],
  ['/a', 'a', false],
  ['+/a', '/a', true],
  ['a/', 'a/', true],
  ['a/', 'a', false],
  ['a/+', 'a/', true],
  ['+/+', '/', true],
  ['+', '/', false],
  ['/#', '/', true],
  ['/#', '/a/b', true],
  ['/#', 'a', false],
  ['#', '', true],
  // NATS TestSublistMatch-like cases
  ['foo/+/baz', 'foo/bar/baz', true],
  ['foo/+/baz', 'foo/bar/bax', false],
  ['foo/+/+', 'foo/bar/baz', true],
  ['foo/+/+', 'foo/bar', false],
  ['+/+/+', 'foo/bar/baz', true],
  ['foo/#', 'foo/bar/baz', true],
  ['foo/bar/#', 'foo/bar', true],
  ['foo/bar/#', 'foo/ba', false],
  ['foo/+/#', 'foo/bar', true],
  ['foo/+/#', 'foo', false],
  ['foo/b+/c', 'foo/b+/c', true], // malformed filters compare literally
  ['foo/#/c', 'foo/x/c', false],
];

describe('topicMatches and SubscriptionIndex.match agree with the 4.7 table', () => {
  it(`has at least 40 rows (${table.length})`, () => assert.ok(table.length >= 40));
  for (const [filter, topic, expected] of table) {
    it(`[MQTT-4.7.1-2] [MQTT-4.7.2-1] ${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
      assert.equal(topicMatches(filter, topic), expected, 'topicMatches');
      const index = new SubscriptionIndex<string>();
      index.add(filter, 'c', filter);
      assert.deepEqual(index.match(topic), expected ? [filter] : [], 'SubscriptionIndex.match');
    });
  }

  it('one index holding every filter returns exactly the matching ones for each topic', () => {
    const index = new SubscriptionIndex<string>();
    const filters = [...new Set(table.map(([filter]) => filter))];
    for (const filter of filters) index.add(filter, 'c', filter);
    for (const [, topic] of table) {
      const expected = filters.filter((f) => topicMatches(f, topic)).sort();
      assert.deepEqual([...index.match(topic)].sort(), expected, topic);
    }
  });
});
