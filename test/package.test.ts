// A fresh clone stays clean and honest: `npm install` has nothing to add to the lock file,
// no dependency asks for a newer Node.js than package.json (and the README) promise, and
// scripts/prepare.mjs (run by `npm start` / `npm test`) builds only when a source changed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string };
  satisfies(version: string, range: string): boolean;
};
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
interface LockEntry {
  engines?: { node?: string };
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

describe('package.json and package-lock.json', () => {
  it('no locked package needs a newer Node.js than the engines field', () => {
    const oldest = semver.minVersion(manifest.engines.node).version;
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.includes(`Node.js ${oldest.replace(/\.0$/, '')} or newer`), oldest);
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path && entry.engines?.node)
      .filter(([, entry]) => !semver.satisfies(oldest, entry.engines!.node!))
      .map(([path, entry]) => `${path} (node ${entry.engines!.node})`);
    assert.deepEqual(refusing, []);
  });

  it('the lock lists every optional (per-platform) package, so npm install adds none', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${path}/node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) missing.push(name);
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe('scripts/prepare.mjs', () => {
  it('runs tsc on the first build and after a source changes, not when nothing changed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'culex-prepare-'));
    try {
      // A stand-in project: npx finds node_modules/.bin/tsc, which only counts its runs.
      for (const sub of ['scripts', 'src', 'node_modules/.bin', 'dashboard', 'dist/dashboard'])
        mkdirSync(join(dir, sub), { recursive: true });
      copyFileSync(join(root, 'scripts/prepare.mjs'), join(dir, 'scripts/prepare.mjs'));
      const tsc = join(dir, 'node_modules/.bin/tsc');
      writeFileSync(tsc, '#!/bin/sh\necho tsc >> tsc.log\n');
      chmodSync(tsc, 0o755);
      for (const file of ['node_modules/.package-lock.json', 'tsconfig.json', 'package.json'])
        writeFileSync(join(dir, file), '{}\n');
      writeFileSync(join(dir, 'src/a.ts'), 'export {};\n');
      writeFileSync(join(dir, 'dashboard/main.tsx'), '\n');
      writeFileSync(join(dir, 'dist/dashboard/index.html'), '\n');
      const prepare = () =>
        execFileSync(process.execPath, ['scripts/prepare.mjs'], { cwd: dir, timeout: 30_000 });
      const runs = () => readFileSync(join(dir, 'tsc.log'), 'utf8').split('\n').length - 1;
      prepare();
      assert.equal(runs(), 1, 'the first build');
      prepare();
      assert.equal(runs(), 1, 'nothing changed: no tsc');
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(dir, 'src/a.ts'), later, later);
      prepare();
      assert.equal(runs(), 2, 'a source changed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
