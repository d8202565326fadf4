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

const filter = process.argv.slice(2);
const files = testFiles('dist/test').filter(
  (f) => filter.length === 0 || filter.some((p) => f.includes(p)),
);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
