// Makes a fresh clone runnable: installs dependencies when they are missing, then builds.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
