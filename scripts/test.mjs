// `npm test`: lint and format check, then every compiled test file under node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const lint = spawnSync('npx', ['biome', 'check', 'src', 'test', 'bench', 'scripts', 'dashboard'], {
  stdio: 'inherit',
});
if (lint.status !== 0) {
  console.error('culex: lint or format check failed (run `npm run format`, then fix the rest)');
  process.exit(1);
}

// --tap: node's TAP, every test; otherwise one line per file and the failures again at the end.
const tap = process.argv.includes('--tap');
const filter = process.argv.slice(2).filter((arg) => arg !== '--tap');
const files = testFiles('dist/test').filter(
  (f) => filter.length === 0 || filter.some((p) => f.includes(p)),
);
const reporter = tap
  ? ['--test-reporter=tap']
  : ['--test-reporter=./scripts/compact-reporter.mjs', '--test-reporter-destination=stdout'];
// --test-force-exit: a test file whose tests are done but that still holds a handle (a
// client library's reconnect loop after its server was stopped) ends instead of hanging the run.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-force-exit', '--test-concurrency=2', ...reporter, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
