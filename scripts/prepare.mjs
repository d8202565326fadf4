// Makes a fresh clone runnable: installs dependencies when they are missing, then builds.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd) => execSync(cmd, { stdio: 'inherit' });

if (!existsSync('node_modules/.package-lock.json')) {
  run('npm install --no-audit --no-fund');
}
try {
  run('npx tsc -p tsconfig.json');
} catch {
  console.error('culex: the TypeScript build failed (errors above)');
  process.exit(1);
}

// The dashboard (Vite): type-checked and rebuilt when a source is newer than the last build.
const newest = (dir) =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
const built = 'dist/dashboard/index.html';
if (!existsSync(built) || newest('dashboard') > statSync(built).mtimeMs) {
  try {
    run('npx tsc -p dashboard/tsconfig.json');
    run('npx vite build --config dashboard/vite.config.ts');
  } catch {
    console.error('culex: the dashboard build failed (errors above)');
    process.exit(1);
  }
}
