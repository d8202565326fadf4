// `culex check --hostile --json` against Mosquitto 2.0.11 (Debian), a child process on a free
// loopback port: the report names Mosquitto's real deviations with their rule ids, and the
// command exits 1 because checks failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '../../src/check/index.js';
import { makeTempDir, type Mosquitto, startMosquitto } from '../auth/helpers.js';
import { culex, type Result } from '../cli/run.js';

/** Deviations verified by hand against mosquitto 2.0.11, as check id → a rule id it cites. */
const KNOWN_DEVIATIONS: [id: string, version: 4 | 5, rule: string][] = [
  ['malformed.qos0-dup', 4, 'MQTT-3.3.1-2'],
  ['malformed.qos0-dup', 5, 'MQTT-3.3.1-2'],
  ['malformed.puback-flags', 4, 'MQTT-2.2.2-2'],
  ['malformed.puback-flags', 5, 'MQTT-2.1.3-1'],
  ['malformed.pingreq-flags', 4, 'MQTT-2.2.2-2'],
  ['malformed.pingreq-flags', 5, 'MQTT-2.1.3-1'],
  ['malformed.pingreq-payload', 4, 'MQTT-4.8.0-1'],
  ['malformed.pingreq-payload', 5, 'MQTT-4.13.1-1'],
  ['shared.no-local', 5, 'MQTT-3.8.3-4'],
  ['shared.empty-share-name', 5, 'MQTT-4.8.2-1'],
  ['shared.no-filter', 5, 'MQTT-4.8.2-2'],
  // Subscribing again keeps the old No Local: its own message still does not come back.
  ['subscription-options.options-replaced', 5, 'MQTT-3.8.4-3'],
];

describe('culex check against Mosquitto 2.0.11', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let mosquitto: Mosquitto;
  let result: Result;
  let results: CheckResult[];
  before(async () => {
    temp = await makeTempDir();
    mosquitto = await startMosquitto(temp.dir, ['allow_anonymous true']);
    const url = `mqtt://127.0.0.1:${mosquitto.port}`;
    result = await culex(['check', url, '--hostile', '--json'], '', 90_000);
    results = JSON.parse(result.stdout).results;
  });
  after(async () => {
    await mosquitto?.stop();
    await temp?.remove();
  });

  it('reports the known deviations as fail, with their rule ids, and exits 1', () => {
    assert.equal(result.status, 1, result.stderr);
    for (const [id, version, rule] of KNOWN_DEVIATIONS) {
      const found = results.find((r) => r.id === id && r.version === version);
      assert.ok(found, `${id} v${version} missing`);
      assert.equal(found.outcome, 'fail', `${id} v${version}: ${found.outcome}`);
      assert.ok(found.rules.includes(rule), `${id} v${version} cites ${found.rules}`);
      assert.ok(found.detail, `${id} v${version} says what the broker did`);
    }
  });

  it('passes the core of both versions (a broken checker would fail these too)', () => {
    const core = [
      'connect.accepted',
      'publish.qos1-puback',
      'publish.qos2-flow',
      'retained.sent-to-new-subscription',
      'will.abnormal-close',
      'topics.match.plus-one-level',
    ];
    for (const id of core)
      for (const version of [4, 5])
        assert.equal(
          results.find((r) => r.id === id && r.version === version)?.outcome,
          'pass',
          `${id} v${version}`,
        );
    const errors = results.filter((r) => r.detail?.startsWith('check error'));
    assert.deepEqual(errors, []);
  });
});
