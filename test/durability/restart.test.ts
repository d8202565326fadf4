// Retained messages and persistent sessions survive a broker restart on the lmdb store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { culexArgs, freePort, startCulex, stopProcess } from '../../bench/broker-process.js';
import {
  countPresentSessions,
  countRetained,
  fillRetained,
  fillSessions,
} from '../../bench/restart-fill.js';

const dataDir = mkdtempSync(join(tmpdir(), 'culex-restart-test-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('retained messages and persistent sessions survive a restart [MQTT-3.3.1-5] [MQTT-4.1.0-1]', {
  timeout: 60_000,
}, async () => {
  const port = await freePort();
  const args = culexArgs(port, ['--store', 'lmdb', '--data-dir', dataDir]);
  const first = (await startCulex(args)).child;
  await fillRetained(port, 'survive', 5000);
  await fillSessions(port, 'survive', 300);
  await stopProcess(first);
  const second = (await startCulex(args)).child;
  try {
    assert.equal(await countRetained(port, 'survive', 5000), 5000);
    assert.equal(await countPresentSessions(port, 'survive', 300), 300);
  } finally {
    await stopProcess(second);
  }
});
