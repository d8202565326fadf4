import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReasonCode } from '../../src/protocol/constants.js';
import { MqttError } from '../../src/protocol/errors.js';
import { validateTopicFilter, validateTopicName } from '../../src/topic/index.js';

const long = (bytes: number, unit = 'a') => unit.repeat(bytes / Buffer.byteLength(unit));

/** (input, ruleId or undefined when valid); ruleId null means an operator limit, no rule. */
const names: [string, string | undefined][] = [
  ['a', undefined],
  ['sport/tennis/player1', undefined],
  ['/', undefined],
  ['a//b', undefined],
  ['/a/', undefined],
  ['$SYS/broker', undefined],
  [' ', undefined],
  ['caf\u00e9/\u{1F600}', undefined],
  [long(65_535), undefined],
  [long(65_535, '\u20ac'), undefined],
  ['', 'MQTT-4.7.3-1'],
  ['a/+', 'MQTT-3.3.2-2'],
  ['+', 'MQTT-3.3.2-2'],
  ['a/#', 'MQTT-3.3.2-2'],
  ['#', 'MQTT-3.3.2-2'],
  ['a+b', 'MQTT-3.3.2-2'],
  ['a\u0000b', 'MQTT-4.7.3-2'],
  [long(65_536), 'MQTT-4.7.3-3'],
  [`${long(65_534)}\u00e9`, 'MQTT-4.7.3-3'],
  [long(21_846 * 3, '\u20ac'), 'MQTT-4.7.3-3'],
  ['a\ud800b', 'MQTT-1.5.4-1'],
  ['a\udc00', 'MQTT-1.5.4-1'],
];

const filters: [string, string | undefined][] = [
  ['a', undefined],
  ['#', undefined],
  ['+', undefined],
  ['/#', undefined],
  ['sport/tennis/player1/#', undefined],
  ['sport/+/player1', undefined],
  ['+/+', undefined],
  ['/+', undefined],
  ['+/tennis/#', undefined],
  ['a//+//#', undefined],
  ['$SYS/#', undefined],
  ['$share/group/a/#', undefined],
  [long(65_535), undefined],
  ['', 'MQTT-4.7.3-1'],
  ['sport/tennis#', 'MQTT-4.7.1-2'],
  ['sport/tennis/#/ranking', 'MQTT-4.7.1-2'],
  ['#/', 'MQTT-4.7.1-2'],
  ['##', 'MQTT-4.7.1-2'],
  ['a/#b', 'MQTT-4.7.1-2'],
  ['sport+', 'MQTT-4.7.1-3'],
  ['sport/+tennis', 'MQTT-4.7.1-3'],
  ['a/b+/c', 'MQTT-4.7.1-3'],
  ['++', 'MQTT-4.7.1-3'],
  ['+#', 'MQTT-4.7.1-3'],
  ['a\u0000/#', 'MQTT-4.7.3-2'],
  [long(65_536), 'MQTT-4.7.3-3'],
  ['\ud83d/#', 'MQTT-1.5.4-1'],
];

function check(error: MqttError | undefined, ruleId: string | undefined, code: number): void {
  if (ruleId === undefined) {
    assert.equal(error, undefined);
    return;
  }
  assert.ok(error instanceof MqttError);
  assert.equal(error.reasonCode, code);
  assert.equal(error.ruleId, ruleId);
}

const label = (text: string) => (text.length > 40 ? `${text.length} chars` : JSON.stringify(text));

describe('validateTopicName', () => {
  for (const [name, ruleId] of names) {
    it(`${ruleId ? `[${ruleId}] rejects` : 'accepts'} ${label(name)}`, () => {
      check(validateTopicName(name), ruleId, ReasonCode.TopicNameInvalid);
    });
  }
});

describe('validateTopicFilter', () => {
  for (const [filter, ruleId] of filters) {
    it(`${ruleId ? `[${ruleId}] rejects` : 'accepts'} ${label(filter)}`, () => {
      check(validateTopicFilter(filter), ruleId, ReasonCode.TopicFilterInvalid);
    });
  }
});

describe('operator limits', () => {
  it('maxLength counts UTF-8 bytes, not UTF-16 units', () => {
    assert.equal(validateTopicName('abcd', { maxLength: 4 }), undefined);
    const error = validateTopicName('abc\u00e9', { maxLength: 4 });
    assert.equal(error?.reasonCode, ReasonCode.TopicNameInvalid);
    assert.equal(error?.ruleId, undefined);
    assert.equal(validateTopicFilter('ab/#', { maxLength: 3 })?.reasonCode, 0x8f);
  });

  it('maxLevels counts the "/" separators plus one', () => {
    assert.equal(validateTopicName('a/b/c', { maxLevels: 3 }), undefined);
    assert.equal(validateTopicName('a/b/c/', { maxLevels: 3 })?.reasonCode, 0x90);
    assert.equal(validateTopicFilter('+/+/#', { maxLevels: 3 }), undefined);
    assert.equal(validateTopicFilter('/+/+/#', { maxLevels: 3 })?.reasonCode, 0x8f);
  });

  it('a limit above 65,535 bytes does not lift the spec limit [MQTT-4.7.3-3]', () => {
    const error = validateTopicName(long(70_000), { maxLength: 100_000 });
    assert.equal(error?.ruleId, 'MQTT-4.7.3-3');
  });

  it('spec violations win over operator limits and carry their rule id', () => {
    assert.equal(validateTopicName('a/+/c', { maxLevels: 1 })?.ruleId, 'MQTT-3.3.2-2');
  });
});
