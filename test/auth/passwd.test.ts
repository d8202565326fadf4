import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  checkUsername,
  deletePasswordLine,
  runPasswd,
  setPasswordLine,
} from '../../src/auth/passwd.js';
import {
  PasswordFileAuthenticator,
  parsePasswordFile,
  verifyPassword,
} from '../../src/auth/password-file.js';
import { ProtocolVersion } from '../../src/protocol/constants.js';
import { makeTempDir, run } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
before(async () => {
  temp = await makeTempDir();
});
after(() => temp.remove());

async function users(file: string) {
  return parsePasswordFile(await readFile(file, 'utf8'), file);
}

describe('runPasswd', () => {
  test('create makes a 0600 file with one user, replacing an existing file', async () => {
    const file = join(temp.dir, 'create.pw');
    await writeFile(file, 'stale:content\n');
    await runPasswd({ file, username: 'alice', password: 'one', create: true });
    const table = await users(file);
    assert.deepEqual([...table.keys()], ['alice']);
    assert.equal(await verifyPassword('one', table.get('alice')!), true);
    const fresh = join(temp.dir, 'fresh.pw');
    await runPasswd({ file: fresh, username: 'alice', password: 'one', create: true });
    assert.equal((await stat(fresh)).mode & 0o777, 0o600);
  });

  test('adds and updates users in place, keeping comments and order', async () => {
    const file = join(temp.dir, 'edit.pw');
    await runPasswd({ file, username: 'alice', password: 'one', create: true });
    const original = await readFile(file, 'utf8');
    await writeFile(file, `# managed by hand\n${original}`);
    await runPasswd({ file, username: 'bob', password: 'two' });
    await runPasswd({ file, username: 'alice', password: 'three' });
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# managed by hand\nalice:\$7\$.*\nbob:\$7\$.*\n$/);
    const table = await users(file);
    assert.equal(await verifyPassword('three', table.get('alice')!), true);
    assert.equal(await verifyPassword('two', table.get('bob')!), true);
  });

  test('deletes users; errors for unknown users and missing files', async () => {
    const file = join(temp.dir, 'delete.pw');
    await runPasswd({ file, username: 'alice', password: 'one', create: true });
    await runPasswd({ file, username: 'bob', password: 'two' });
    await runPasswd({ file, username: 'alice', delete: true });
    assert.deepEqual([...(await users(file)).keys()], ['bob']);
    await assert.rejects(runPasswd({ file, username: 'alice', delete: true }), /"alice" is not in/);
    const missing = join(temp.dir, 'missing.pw');
    await assert.rejects(
      runPasswd({ file: missing, username: 'a', password: 'b' }),
      /does not exist/,
    );
    await assert.rejects(
      runPasswd({ file: missing, username: 'a', delete: true }),
      /does not exist/,
    );
  });

  test('clear errors for bad arguments', async () => {
    const file = join(temp.dir, 'args.pw');
    await assert.rejects(runPasswd({ file, username: 'a', create: true }), /password is required/);
    await assert.rejects(runPasswd({ file, username: 'a:b', password: 'x', create: true }), /':'/);
    await assert.rejects(
      runPasswd({ file, username: 'a', password: 'x', create: true, delete: true }),
      /cannot be combined/,
    );
    for (const name of ['', '#admin', ' a', 'a ', 'a\nb']) assert.throws(() => checkUsername(name));
    await writeFile(file, 'plain:text\n');
    await assert.rejects(runPasswd({ file, username: 'a', password: 'x' }), /args\.pw:1/);
  });

  test('files are interchangeable with mosquitto_passwd in both directions', async () => {
    const file = join(temp.dir, 'interop.pw');
    assert.equal((await run('mosquitto_passwd', ['-c', '-b', file, 'theirs', 'pw1'])).code, 0);
    await runPasswd({ file, username: 'ours', password: 'pw2' });
    const edited = await run('mosquitto_passwd', ['-b', file, 'later', 'pw3']);
    assert.equal(edited.code, 0, edited.stderr);
    const deleted = await run('mosquitto_passwd', ['-D', file, 'theirs']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const auth = await PasswordFileAuthenticator.fromConfig({ file });
    const request = (username: string, password: string) => ({
      clientId: 'c',
      username,
      password: Buffer.from(password),
      protocolVersion: ProtocolVersion.V5,
      remoteAddress: '127.0.0.1',
    });
    assert.equal((await auth.authenticate(request('ours', 'pw2'))).ok, true);
    assert.equal((await auth.authenticate(request('later', 'pw3'))).ok, true);
    assert.equal((await auth.authenticate(request('theirs', 'pw1'))).ok, false);
  });
});

describe('line editing', () => {
  test('setPasswordLine replaces only the named user and adds a final newline', () => {
    assert.equal(setPasswordLine('a:1\nb:2', 'a', 'X'), 'a:X\nb:2\n');
    assert.equal(setPasswordLine('', 'c', 'Y'), 'c:Y\n');
    assert.equal(setPasswordLine('#a:1\n', 'a', 'Z'), '#a:1\na:Z\n', 'a comment is no entry');
  });

  test('deletePasswordLine removes the entry and leaves the rest', () => {
    assert.equal(deletePasswordLine('# c\na:1\nb:2\n', 'a', 'f'), '# c\nb:2\n');
    assert.equal(deletePasswordLine('a:1\n', 'a', 'f'), '');
    assert.throws(() => deletePasswordLine('a:1\n', 'b', 'f'), /"b" is not in f/);
  });
});
