// `culex passwd` as the real binary: the password typed twice at a terminal can also be piped
// in (as mosquitto_passwd reads it); every failure prints a message and exits 1.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parsePasswordFile, verifyPassword } from '../../src/auth/password-file.js';
import { culex } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'culex-passwd-'));
const file = join(dir, 'passwords.txt');

async function passwordOf(username: string, password: string): Promise<boolean> {
  const users = parsePasswordFile(readFileSync(file, 'utf8'), file);
  const hash = users.get(username);
  return hash !== undefined && (await verifyPassword(password, hash));
}

describe('culex passwd with the password on standard input', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file: says -c creates it, exit 1, nothing written', async () => {
    const result = await culex(['passwd', file, 'carol'], 'pw\npw\n');
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `culex passwd: password file ${file} does not exist (culex passwd -c creates it)\n`,
    );
  });

  it('-c with the password piped twice creates the file; a second user is added', async () => {
    const created = await culex(['passwd', '-c', file, 'carol'], 'pw\npw\n');
    assert.equal(created.status, 0, created.stderr);
    const added = await culex(['passwd', file, 'dave'], 'secret\n');
    assert.equal(added.status, 0, added.stderr);
    assert.equal(await passwordOf('carol', 'pw'), true);
    assert.equal(await passwordOf('dave', 'secret'), true);
  });

  it('two different lines, or nothing, is refused with a message and exit 1', async () => {
    const mismatch = await culex(['passwd', file, 'erin'], 'one\ntwo\n');
    assert.equal(mismatch.stderr, 'culex passwd: the passwords do not match\n');
    assert.equal(mismatch.status, 1);
    const empty = await culex(['passwd', file, 'erin'], '');
    assert.equal(empty.stderr, 'culex passwd: no password on standard input\n');
    assert.equal(empty.status, 1);
    assert.equal(await passwordOf('erin', 'one'), false);
  });
});
