// What `culex start` logs (JSON lines on stdout): each connect and disconnect at info with
// client id, address, protocol, user name and reason; subscribe at debug; a failed login with
// the user and the reason; one line per ACL denial; broker.logConnections: false moves the
// connect and disconnect lines to debug.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CULEX_MAIN, culexArgs, freePort, stopProcess } from '../../bench/broker-process.js';
import { culex } from './run.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const dir = mkdtempSync(join(tmpdir(), 'culex-logs-'));

/** `culex start` with auth from `dir`; its log lines so far, parsed. */
async function startLogging(port: number, level: string, env: Record<string, string> = {}) {
  const config = join(dir, 'culex.yaml');
  writeFileSync(config, `auth:\n  passwordFile: ${dir}/passwords\n  aclFile: ${dir}/acl\n`);
  const args = culexArgs(port, ['--store', 'memory', '--log-level', level, '-c', config]);
  const child = spawn(process.execPath, [CULEX_MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const deadline = Date.now() + 15_000;
  while (!stderr.includes('Listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const lines = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  return { child, lines };
}

/** Waits until `lines()` has one matching `predicate` (bounded). */
async function waitFor(lines: () => LogLine[], predicate: (line: LogLine) => boolean) {
  const deadline = Date.now() + 5_000;
  while (!lines().some(predicate) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return lines().filter(predicate);
}

describe('culex start: logs', () => {
  let child: ChildProcess | undefined;
  before(async () => {
    const passwd = await culex(['passwd', '-c', '-b', join(dir, 'passwords'), 'alice', 'pw']);
    assert.equal(passwd.status, 0, passwd.stderr);
    writeFileSync(join(dir, 'acl'), 'user alice\ntopic readwrite allowed/#\n');
  });
  after(async () => {
    if (child) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('connect and disconnect at info, subscribe at debug, failed logins name user and reason, one line per denial', async () => {
    const port = await freePort();
    const broker = await startLogging(port, 'debug');
    child = broker.child;
    const login = ['-p', String(port), '-V', '5', '-u', 'alice'];
    const sub = await culex(['sub', ...login, '-P', 'pw', '-i', 'c1', '-t', 'allowed/#', '-E']);
    assert.equal(sub.status, 0, sub.stderr);
    const [connected] = await waitFor(broker.lines, (l) => l.msg === 'client connected');
    assert.equal(connected?.level, 30);
    assert.equal(connected?.clientId, 'c1');
    assert.equal(connected?.remoteAddress, '127.0.0.1');
    assert.equal(connected?.protocolVersion, 5);
    assert.equal(connected?.username, 'alice');
    const [subscribed] = await waitFor(broker.lines, (l) => l.msg === 'subscribe');
    assert.equal(subscribed?.level, 20);
    assert.deepEqual(subscribed?.filters, ['allowed/#']);
    const [gone] = await waitFor(broker.lines, (l) => l.msg === 'client disconnected');
    assert.equal(gone?.level, 30);
    assert.equal(gone?.clientId, 'c1');
    assert.equal(gone?.reason, 'client DISCONNECT 0x00');

    await culex(['pub', ...login, '-P', 'wrong', '-i', 'c2', '-t', 'allowed/a', '-m', 'x']);
    const [failed] = await waitFor(broker.lines, (l) => l.msg === 'authentication failed');
    assert.equal(failed?.username, 'alice');
    assert.equal(failed?.clientId, 'c2');
    assert.equal(typeof failed?.reason, 'string');
    assert.equal(failed?.reasonCode, 0x86);

    await culex(['pub', ...login, '-P', 'pw', '-i', 'c3', '-t', 'denied/x', '-m', 'x', '-q', '1']);
    await waitFor(broker.lines, (l) => l.msg === 'client disconnected' && l.clientId === 'c3');
    const denials = broker
      .lines()
      .filter((l) => l.level >= 30 && JSON.stringify(l).includes('denied/x'));
    assert.equal(denials.length, 1, JSON.stringify(denials));
    await stopProcess(broker.child);
  });

  it('broker.logConnections: false (CULEX_BROKER_LOG_CONNECTIONS) keeps them out of info', async () => {
    const port = await freePort();
    const broker = await startLogging(port, 'info', { CULEX_BROKER_LOG_CONNECTIONS: 'false' });
    child = broker.child;
    const args = ['-p', String(port), '-u', 'alice', '-P', 'pw', '-t', 'allowed/#', '-E'];
    assert.equal((await culex(['sub', ...args])).status, 0);
    await culex(['sub', ...args, '-P', 'wrong']);
    await waitFor(broker.lines, (l) => l.msg === 'authentication failed');
    const connections = broker.lines().filter((l) => /client (dis)?connected/.test(l.msg));
    assert.deepEqual(connections, []);
    await stopProcess(broker.child);
  });
});
