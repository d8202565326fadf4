import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReasonCode } from '../../src/protocol/constants.js';
import { MqttError } from '../../src/protocol/errors.js';
import { parseSharedFilter } from '../../src/topic/index.js';

/** (filter, expected): a parsed share, undefined for a plain filter, or the broken rule id. */
const table: [string, { group: string; filter: string } | undefined | string][] = [
  ['$share/g/a/b', { group: 'g', filter: 'a/b' }],
  ['$share/consumer1/sport/tennis/+', { group: 'consumer1', filter: 'sport/tennis/+' }],
  ['$share/g/#', { group: 'g', filter: '#' }],
  ['$share/g//', { group: 'g', filter: '/' }],
  ['$share/g/$SYS/#', { group: 'g', filter: '$SYS/#' }],
  ['$share/$queue/a', { group: '$queue', filter: 'a' }],
  ['$share/\u00e9quipe/a', { group: '\u00e9quipe', filter: 'a' }],
  ['$queue/a/b', { group: '$queue', filter: 'a/b' }],
  ['$queue/#', { group: '$queue', filter: '#' }],
  ['a/b', undefined],
  ['#', undefined],
  ['$share', undefined],
  ['$queue', undefined],
  ['$SHARE/g/a', undefined],
  ['share/g/a', undefined],
  ['$sharex/g/a', undefined],
  ['$share//a', 'MQTT-4.8.2-1'],
  ['$share/', 'MQTT-4.8.2-1'],
  ['$share/g+/a', 'MQTT-4.8.2-2'],
  ['$share/+/a', 'MQTT-4.8.2-2'],
  ['$share/#/a', 'MQTT-4.8.2-2'],
  ['$share/g#', 'MQTT-4.8.2-2'],
  ['$share/g', 'MQTT-4.8.2-2'],
  ['$share/g/', 'MQTT-4.8.2-2'],
  ['$queue/', 'MQTT-4.8.2-2'],
  ['$share/g/a/#/b', 'MQTT-4.7.1-2'],
  ['$share/g/a+', 'MQTT-4.7.1-3'],
  ['$queue/a\u0000', 'MQTT-4.7.3-2'],
];

describe('parseSharedFilter', () => {
  for (const [input, expected] of table) {
    const what =
      typeof expected === 'string'
        ? `[${expected}] rejects`
        : expected
          ? `[MQTT-4.8.2-1] parses group ${JSON.stringify(expected.group)} from`
          : 'leaves plain';
    it(`${what} ${JSON.stringify(input)}`, () => {
      const result = parseSharedFilter(input);
      if (typeof expected === 'string') {
        assert.ok(result instanceof MqttError);
        assert.equal(result.reasonCode, ReasonCode.TopicFilterInvalid);
        assert.equal(result.ruleId, expected);
      } else {
        assert.deepEqual(result, expected);
      }
    });
  }

  it('applies operator limits to the inner filter', () => {
    assert.deepEqual(parseSharedFilter('$share/g/a/b', { maxLevels: 2 }), {
      group: 'g',
      filter: 'a/b',
    });
    const error = parseSharedFilter('$share/g/a/b/c', { maxLevels: 2 });
    assert.ok(error instanceof MqttError);
    assert.equal(error.reasonCode, ReasonCode.TopicFilterInvalid);
  });
});
