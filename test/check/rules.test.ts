// The check set as data: enough checks, every one citing rule ids that exist in its protocol
// version's spec and bind the server (a checker of brokers cites nothing else), ids unique.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALL_CHECKS, AREAS } from '../../src/check/index.js';

/** id → target of the normative statements (the tables in test/check/spec). */
function statements(file: string): Map<string, string> {
  const path = fileURLToPath(new URL(`../../../test/check/spec/${file}`, import.meta.url));
  const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return new Map(rows.map((row) => row.split('\t') as [string, string]));
}

const SPEC = { 4: statements('normative-3.1.1.tsv'), 5: statements('normative-5.0.tsv') };

describe('culex check: the checks', () => {
  it('are at least 150, each with rule ids, in every area', () => {
    const cited = ALL_CHECKS.filter((c) => c.rules.length > 0);
    assert.ok(cited.length >= 150, `${cited.length} checks with rule ids`);
    for (const area of AREAS)
      assert.ok(
        ALL_CHECKS.some((c) => c.area === area),
        area,
      );
  });

  it('cite only ids of their version that bind the server', () => {
    const wrong: string[] = [];
    for (const check of ALL_CHECKS)
      for (const rule of check.rules) {
        const target = SPEC[check.version].get(rule);
        if (target !== 'server' && target !== 'both')
          wrong.push(`${check.id} v${check.version}: ${rule} (${target ?? 'no such id'})`);
      }
    assert.deepEqual(wrong, []);
  });

  it('have unique ids per protocol version', () => {
    const keys = ALL_CHECKS.map((c) => `${c.id} v${c.version}`);
    assert.equal(new Set(keys).size, keys.length);
  });
});
