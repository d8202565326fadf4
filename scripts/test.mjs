// `npm test`: lint and format check, then every compiled test file under node's test runner.
import { spawn, spawnSync } from 'node:child_process';
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
// No --test-force-exit: with it, a file's process may end while tests it registers later are
// still to come (a full run counted 17 tests fewer). A run that does not end is stopped with
// everything it started (its own process group), saying so: the files it printed finished.
const LIMIT_MS = 15 * 60_000;
const runner = spawn(process.execPath, ['--test', '--test-concurrency=2', ...reporter, ...files], {
  stdio: 'inherit',
  detached: true,
});
const watchdog = setTimeout(() => {
  console.error(
    `culex: the tests did not end in ${LIMIT_MS / 60_000} min: stopped. A test file missing above hung, or ended its tests still holding a handle (a socket, a timer).`,
  );
  process.kill(-runner.pid, 'SIGKILL');
}, LIMIT_MS);
runner.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(code ?? (signal ? 1 : 0));
});
