// `culex start` with a file a setting names that is missing or malformed (TLS certificate,
// key, CA, password file, ACL file): one line naming the setting, the file and the problem,
// with a stable code, and exit 1. No stack trace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SERVER_EXTENSIONS, makePki, makeTempDir } from '../security/fixtures/certs.js';
import { entry } from './run.js';

/** Runs `culex start` in `cwd` with `yaml` as its configuration; its exit code and stderr. */
async function start(cwd: string, yaml: string) {
  writeFileSync(join(cwd, 'culex.yaml'), `store: memory\nhttpPort: 0\n${yaml}`);
  try {
    await promisify(execFile)(process.execPath, [entry, 'start', '-c', 'culex.yaml'], {
      cwd,
      timeout: 15_000,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const tls = (fields: string) =>
  `listeners:\n  - { type: tcp, port: 0 }\n  - { type: tls, port: 0, ${fields} }\n`;

describe('culex start: files named by settings', () => {
  let temp: { dir: string; remove(): Promise<void> };
  before(async () => {
    temp = await makeTempDir('culex-start-files-');
    const pki = await makePki(join(temp.dir, 'pki'));
    const pair = await pki.issue('server', '/CN=localhost', SERVER_EXTENSIONS);
    const other = await pki.issue('other', '/CN=other', SERVER_EXTENSIONS);
    copyFileSync(pair.cert, join(temp.dir, 'server.crt'));
    copyFileSync(pair.key, join(temp.dir, 'server.key'));
    copyFileSync(other.key, join(temp.dir, 'other.key'));
    writeFileSync(join(temp.dir, 'text.crt'), 'not a certificate\n');
    writeFileSync(join(temp.dir, 'broken.acl'), 'user alice\ntopic\n');
  });
  after(() => temp.remove());

  const cases: [string, string, string][] = [
    [
      'a missing certificate',
      tls('cert: nope.crt, key: server.key'),
      "culex: listeners[1].cert: cannot read 'nope.crt': no such file or directory (CULEX_E_FILE_UNREADABLE)",
    ],
    [
      'a certificate that is not PEM',
      tls('cert: text.crt, key: server.key'),
      "culex: listeners[1].cert: 'text.crt' is not a PEM certificate (",
    ],
    [
      'a missing key',
      tls('cert: server.crt, key: nope.key'),
      "culex: listeners[1].key: cannot read 'nope.key': no such file or directory (CULEX_E_FILE_UNREADABLE)",
    ],
    [
      'a key that is not PEM',
      tls('cert: server.crt, key: text.crt'),
      "culex: listeners[1].key: 'text.crt' is not a PEM private key (",
    ],
    [
      'a key of another certificate',
      tls('cert: server.crt, key: other.key'),
      "culex: listeners[1].key: 'other.key' does not go with the certificate 'server.crt' (",
    ],
    [
      'a missing CA file',
      tls('cert: server.crt, key: server.key, ca: nope-ca.crt, verify: required'),
      "culex: listeners[1].ca: cannot read 'nope-ca.crt': no such file or directory (CULEX_E_FILE_UNREADABLE)",
    ],
    [
      'a missing password file',
      'port: 0\nwsPort: 0\nauth:\n  passwordFile: nope.txt\n',
      "culex: auth.passwordFile: cannot read 'nope.txt': no such file or directory (CULEX_E_FILE_UNREADABLE)",
    ],
    [
      'a missing ACL file',
      'port: 0\nwsPort: 0\nauth:\n  aclFile: nope.acl\n',
      "culex: auth.aclFile: cannot read 'nope.acl': no such file or directory (CULEX_E_FILE_UNREADABLE)",
    ],
    [
      'a bad ACL line',
      'port: 0\nwsPort: 0\nauth:\n  aclFile: broken.acl\n',
      'culex: auth.aclFile: broken.acl:2: "topic" needs a topic filter (CULEX_E_FILE_INVALID)',
    ],
  ];
  for (const [name, yaml, message] of cases) {
    it(`${name}: one line with the setting, the file and a code; exit 1`, async () => {
      const { code, stderr } = await start(temp.dir, yaml);
      assert.equal(code, 1, stderr);
      assert.equal(stderr.split('\n').length, 2, `one line:\n${stderr}`);
      assert.ok(stderr.startsWith(message), stderr);
      assert.match(stderr, /\(CULEX_E_FILE_(UNREADABLE|INVALID)\)\n$/);
    });
  }
});
