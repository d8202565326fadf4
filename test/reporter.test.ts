// scripts/compact-reporter.mjs, the reporter of `npm test`: a line per file, every failure
// again at the end with its message, and the totals (node's TAP printed ~9,000 lines).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const reporter = resolve(import.meta.dirname, '..', '..', 'scripts', 'compact-reporter.mjs');

describe('the compact test reporter', () => {
  it('prints a line per file, the failures again in full, then the totals', () => {
    const dir = mkdtempSync(join(tmpdir(), 'culex-reporter-'));
    try {
      const passing = join(dir, 'a.test.mjs');
      const failing = join(dir, 'b.test.mjs');
      const many = Array.from({ length: 50 }, (_, i) => `it('t${i}', () => {});`).join('\n');
      writeFileSync(passing, `import { it } from 'node:test';\n${many}\n`);
      writeFileSync(
        failing,
        "import { describe, it } from 'node:test';\nimport assert from 'node:assert';\n" +
          "describe('suite', () => { it('adds', () => assert.equal(1 + 1, 3)); it('ok', () => {}); });\n",
      );
      const run = spawnSync(
        process.execPath,
        [
          '--test',
          `--test-reporter=${reporter}`,
          '--test-reporter-destination=stdout',
          passing,
          failing,
        ],
        // Without this variable, set for the file this test runs in, node would run the
        // files as part of this run instead of as a run of their own.
        {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, NODE_TEST_CONTEXT: undefined },
        },
      );
      assert.equal(run.status, 1, 'a failure fails the run');
      const lines = run.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^✔ .*a\.test\.mjs {2}\d+\.\d s$/);
      assert.match(lines[1]!, /^✖ .*b\.test\.mjs {2}\d+\.\d s$/);
      assert.ok(lines.length < 15, run.stdout);
      const failures = run.stdout.slice(run.stdout.indexOf('1 failure:'));
      assert.match(failures, /✖ .*b\.test\.mjs › suite › adds\n {4}2 == 3\n/);
      assert.match(lines.at(-1)!, /^FAILED: 51 passed, 1 failed, 0 skipped, 0 todo, 2 files, /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
