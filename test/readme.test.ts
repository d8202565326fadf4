// The README's examples run as written: the client library example prints its message and
// exits on a broker where nothing else happens (it hung while the message arrived before
// the `for await` loop existed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type TestBroker, startBroker } from './client/brokers.js';

const root = resolve(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The first fenced block of `language` after the heading `heading`. */
export function codeBlock(markdown: string, heading: string, language: string): string {
  const section = markdown.slice(markdown.indexOf(`\n${heading}\n`));
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section);
  assert.ok(match, `a ${language} block under ${heading}`);
  return match[1]!;
}

describe('README examples', () => {
  let broker: TestBroker;
  let dir: string;
  before(async () => {
    broker = await startBroker('culex');
    dir = mkdtempSync(join(tmpdir(), 'culex-readme-'));
  });
  after(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the client library example prints its message and exits', async () => {
    const example = codeBlock(readme, '## Client library', 'ts');
    const client = pathToFileURL(join(root, 'dist/src/client/index.js')).href;
    const script = example
      .replace("'culex/client'", `'${client}'`)
      .replace('mqtt://localhost:1883', broker.url);
    assert.notEqual(script, example);
    const file = join(dir, 'client-example.mjs');
    writeFileSync(file, script);
    // Asynchronously: the broker runs in this process and must keep answering.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], {
      timeout: 10_000,
    });
    assert.equal(stderr, '');
    assert.equal(stdout, 'sensors/a 21.5\n');
  });

  it('the ways it gives to run culex from a clone work: npx culex, node dist/src/cli/main.js', async () => {
    const ways: [string, string[]][] = [
      ['npx', ['--no-install', 'culex', '--version']],
      [process.execPath, ['dist/src/cli/main.js', '--version']],
    ];
    for (const [command, args] of ways) {
      const shown = command === 'npx' ? 'npx culex' : 'node dist/src/cli/main.js';
      assert.ok(readme.includes(shown), `the README shows ${shown}`);
      const run = await promisify(execFile)(command, args, { cwd: root, timeout: 30_000 });
      assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/, shown);
    }
    assert.ok(readme.includes('npm start -- --port'), 'how to pass flags to npm start');
  });
});
