// Retained messages and persistent sessions survive a broker restart on the lmdb store.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  countPresentSessions,
  countRetained,
  fillRetained,
  fillSessions,
} from '../../bench/restart-fill.js';

const main = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'culex-restart-test-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function start(port: number): Promise<ChildProcess> {
  const args = [
    'start',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--ws-port',
    '0',
    '--http-port',
    '0',
    '--store',
    'lmdb',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ];
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no start in 10 s: ${output}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Listening on')) {
        clearTimeout(timer);
        done(child);
      }
    });
    child.once('exit', (code) => fail(new Error(`broker exited with ${code}: ${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

test('retained messages and persistent sessions survive a restart [MQTT-3.3.1-5] [MQTT-4.1.0-1]', {
  timeout: 60_000,
}, async () => {
  const port = await freePort();
  const first = await start(port);
  await fillRetained(port, 'survive', 5000);
  await fillSessions(port, 'survive', 300);
  await stop(first);
  const second = await start(port);
  try {
    assert.equal(await countRetained(port, 'survive'), 5000);
    assert.equal(await countPresentSessions(port, 'survive', 300), 300);
  } finally {
    await stop(second);
  }
});
