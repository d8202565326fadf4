import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConnectRequest } from '../../src/broker/ports.js';
import {
  formatPasswordHash,
  hashPassword,
  PasswordFileAuthenticator,
  parsePasswordFile,
  parsePasswordHash,
  serializePasswordFile,
  verifyPassword,
} from '../../src/auth/password-file.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/constants.js';
import { makeTempDir, run, startMosquitto } from './helpers.js';

function connect(username: string | undefined, password?: string | Uint8Array): ConnectRequest {
  return {
    clientId: 'c1',
    username,
    password: typeof password === 'string' ? Buffer.from(password) : password,
    protocolVersion: ProtocolVersion.V311,
    remoteAddress: '127.0.0.1',
  };
}

let temp: Awaited<ReturnType<typeof makeTempDir>>;
before(async () => {
  temp = await makeTempDir();
});
after(() => temp.remove());

describe('password file written by mosquitto_passwd', () => {
  test('a $7$ file from `mosquitto_passwd -c -b` is accepted unchanged [MQTT-3.1.4-2]', async () => {
    const file = join(temp.dir, 'pbkdf2.pw');
    assert.equal((await run('mosquitto_passwd', ['-c', '-b', file, 'alice', 's3cret'])).code, 0);
    assert.equal((await run('mosquitto_passwd', ['-b', file, 'bob', 'hunter2'])).code, 0);
    assert.match(await readFile(file, 'utf8'), /^alice:\$7\$101\$/);
    const auth = await PasswordFileAuthenticator.fromConfig({ file });
    assert.equal(auth.userCount, 2);
    assert.deepEqual(await auth.authenticate(connect('alice', 's3cret')), {
      ok: true,
      username: 'alice',
    });
    assert.equal((await auth.authenticate(connect('bob', 'hunter2'))).ok, true);
    // Refusals carry 0x86, which makes the broker send CONNACK and close [MQTT-3.1.4-2].
    const wrong = await auth.authenticate(connect('alice', 'hunter2'));
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.reasonCode, ReasonCode.BadUserNameOrPassword);
    const unknown = await auth.authenticate(connect('mallory', 's3cret'));
    assert.equal(!unknown.ok && unknown.reasonCode, ReasonCode.BadUserNameOrPassword);
    const noPassword = await auth.authenticate(connect('alice'));
    assert.equal(noPassword.ok, false);
    const anonymous = await auth.authenticate(connect(undefined, 's3cret'));
    assert.equal(anonymous.ok, false);
  });

  test('a $6$ file from `mosquitto_passwd -H sha512` (mosquitto 1.6) is accepted', async () => {
    const file = join(temp.dir, 'sha512.pw');
    const result = await run('mosquitto_passwd', ['-H', 'sha512', '-c', '-b', file, 'carol', 'pw']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(await readFile(file, 'utf8'), /^carol:\$6\$/);
    const auth = await PasswordFileAuthenticator.fromConfig({ file });
    assert.equal((await auth.authenticate(connect('carol', 'pw'))).ok, true);
    assert.equal((await auth.authenticate(connect('carol', 'pW'))).ok, false);
  });
});

describe('hashPassword', () => {
  test('writes $7$101$ with a 12-byte salt and a 64-byte hash, which our verifier accepts', async () => {
    const field = await hashPassword('correct horse');
    assert.match(field, /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    const hash = parsePasswordHash(field)!;
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsf', hash), false);
    assert.notEqual(await hashPassword('correct horse'), field, 'a fresh salt every time');
    assert.match(await hashPassword('x', 1000), /^\$7\$1000\$/);
    await assert.rejects(hashPassword('x', 0), /iterations/);
  });

  test('a file of our hashes is accepted by a real mosquitto [MQTT-3.1.4-2]', async () => {
    const dir = join(temp.dir, 'broker');
    await mkdir(dir);
    const file = join(dir, 'ours.pw');
    await writeFile(file, `dave:${await hashPassword('pa:ss w0rd')}\n`);
    const broker = await startMosquitto(dir, ['allow_anonymous false', `password_file ${file}`]);
    try {
      const publish = (password: string) =>
        run('mosquitto_pub', [
          ...['-h', '127.0.0.1', '-p', String(broker.port), '-V', 'mqttv311'],
          ...['-u', 'dave', '-P', password, '-t', 'check', '-m', 'x'],
        ]);
      const accepted = await publish('pa:ss w0rd');
      assert.equal(accepted.code, 0, accepted.stderr);
      const refused = await publish('pa:ss w0rD');
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /not authori[sz]ed/i);
    } finally {
      await broker.stop();
    }
  });
});

describe('parsing', () => {
  test('comments, blank lines, CRLF and blanks around fields are handled as mosquitto does', async () => {
    const hash = await hashPassword('pw');
    const users = parsePasswordFile(`# users\r\n\r\n  erin : ${hash} \r\n`, 'f');
    assert.deepEqual([...users.keys()], ['erin']);
    assert.equal(await verifyPassword('pw', users.get('erin')!), true);
  });

  test('errors name the file and the line', async () => {
    const hash = await hashPassword('pw');
    assert.throws(
      () => parsePasswordFile(`a:${hash}\nb:plaintext\n`, 'pw.txt'),
      /^Error: pw\.txt:2: /,
    );
    assert.throws(() => parsePasswordFile('\n\nnocolon\n', 'pw.txt'), /pw\.txt:3: expected/);
    assert.throws(
      () => parsePasswordFile(`a:${hash}\na:${hash}\n`, 'pw.txt'),
      /pw\.txt:2: .*twice/,
    );
  });

  test('malformed hash fields are refused', () => {
    const salt = Buffer.alloc(12, 1).toString('base64');
    const hash = Buffer.alloc(64, 2).toString('base64');
    assert.ok(parsePasswordHash(`$7$101$${salt}$${hash}`));
    assert.ok(parsePasswordHash(`$6$${salt}$${hash}`));
    assert.equal(parsePasswordHash(`$7$0$${salt}$${hash}`), undefined);
    assert.equal(parsePasswordHash(`$7$x$${salt}$${hash}`), undefined);
    assert.equal(parsePasswordHash(`$7$101$${salt}$${hash.slice(4)}`), undefined);
    assert.equal(parsePasswordHash(`$7$101$${salt}!$${hash}`), undefined);
    assert.equal(parsePasswordHash(`$5$${salt}$${hash}`), undefined);
    assert.equal(parsePasswordHash(`$6$${salt}$${hash}$`), undefined);
    assert.equal(parsePasswordHash('secret'), undefined);
  });

  test('serialize and parse round-trip', async () => {
    const users = parsePasswordFile(
      `a:${await hashPassword('1')}\nb:${await hashPassword('2')}\n`,
      'f',
    );
    const again = parsePasswordFile(serializePasswordFile(users), 'f');
    assert.deepEqual(
      [...again].map(([name, hash]) => [name, formatPasswordHash(hash)]),
      [...users].map(([name, hash]) => [name, formatPasswordHash(hash)]),
    );
  });
});

describe('PasswordFileAuthenticator', () => {
  test('the password is compared as bytes, not text', async () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe]);
    const auth = new PasswordFileAuthenticator(
      parsePasswordFile(`bin:${await hashPassword(bytes)}\n`, 'f'),
    );
    assert.equal((await auth.authenticate(connect('bin', bytes))).ok, true);
    assert.equal((await auth.authenticate(connect('bin', new Uint8Array([0xff, 0x00])))).ok, false);
  });

  test('reload() picks up changes; a broken file keeps the old table and throws', async () => {
    const file = join(temp.dir, 'reload.pw');
    await writeFile(file, `frank:${await hashPassword('one')}\n`);
    const auth = await PasswordFileAuthenticator.fromConfig({ file });
    assert.equal((await auth.authenticate(connect('grace', 'two'))).ok, false);
    await appendFile(file, `grace:${await hashPassword('two')}\n`);
    await auth.reload();
    assert.equal((await auth.authenticate(connect('grace', 'two'))).ok, true);
    await appendFile(file, 'broken line\n');
    await assert.rejects(auth.reload(), /reload\.pw:3/);
    assert.equal((await auth.authenticate(connect('grace', 'two'))).ok, true);
  });

  test('fromConfig names bad keys and missing files', async () => {
    await assert.rejects(
      PasswordFileAuthenticator.fromConfig({}),
      /auth\.passwordFile\.file: is required/,
    );
    await assert.rejects(
      PasswordFileAuthenticator.fromConfig({ file: 'x', mode: 1 }),
      /auth\.passwordFile\.mode: unknown key/,
    );
    await assert.rejects(
      PasswordFileAuthenticator.fromConfig({ file: join(temp.dir, 'none') }),
      /ENOENT/,
    );
  });
});
