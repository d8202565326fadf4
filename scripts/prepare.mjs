// Makes a fresh clone runnable: installs dependencies when they are missing, then builds what
// is out of date. A second `npm start` or `npm test` with no source changed skips tsc.
import { execSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd) => execSync(cmd, { stdio: 'inherit' });

if (!existsSync('node_modules/.package-lock.json')) {
  run('npm install --no-audit --no-fund');
}

/** The newest modification time under the paths (files or directories), in ms. */
const newest = (...paths) =>
  Math.max(
    0,
    ...paths
      .filter((path) => existsSync(path))
      .map((path) =>
        statSync(path).isDirectory()
          ? newest(...readdirSync(path).map((name) => join(path, name)))
          : statSync(path).mtimeMs,
      ),
  );
/** True when `output` is missing or older than any of the inputs. */
const stale = (output, ...inputs) =>
  !existsSync(output) || newest(...inputs) > statSync(output).mtimeMs;

// tsc writes only what it compiled, so a stamp file marks the end of the last good build.
const stamp = 'dist/.build-stamp';
const sources = [
  'src',
  'test',
  'bench',
  'tsconfig.json',
  'package.json',
  'node_modules/.package-lock.json',
];
if (stale(stamp, ...sources)) {
  const started = new Date();
  try {
    run('npx tsc -p tsconfig.json');
  } catch {
    console.error('culex: the TypeScript build failed (errors above)');
    process.exit(1);
  }
  // The `culex` bin (node_modules/.bin/culex, npx culex) runs the file itself: tsc does not
  // make it executable.
  const bin = 'dist/src/cli/main.js';
  if (existsSync(bin)) chmodSync(bin, 0o755);
  // Dated when tsc started: a file saved during the build is newer, and is built next time.
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
}

// The dashboard (Vite): type-checked and rebuilt when a source is newer than the last build.
if (stale('dist/dashboard/index.html', 'dashboard')) {
  try {
    run('npx tsc -p dashboard/tsconfig.json');
    run('npx vite build --config dashboard/vite.config.ts');
  } catch {
    console.error('culex: the dashboard build failed (errors above)');
    process.exit(1);
  }
}
