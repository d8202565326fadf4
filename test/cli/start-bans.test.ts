// Bans outlive a restart: a ban made through the HTTP API of `culex start` is in the store,
// so after SIGTERM and a new start the client is still refused with 0x8A Banned.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { culexArgs, freePort, startCulex, stopProcess } from '../../bench/broker-process.js';
import { culex, entry } from './run.js';

const dataDir = mkdtempSync(join(tmpdir(), 'culex-bans-'));

describe('culex start: bans in the store', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a ban made through the API refuses the client after a restart too', async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    const args = culexArgs(port, ['--data-dir', dataDir, '--http-port', String(httpPort)]);
    const key = execFileSync(
      process.execPath,
      [entry, 'apikey', 'create', 't', '--file', join(dataDir, 'apikeys.yaml')],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${httpPort}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const pub = () =>
      culex(['pub', '-p', String(port), '-V', '5', '-i', 'villain', '-t', 't', '-m', 'x']);

    let broker = await startCulex(args);
    try {
      const ban = await api('POST', '/api/v1/banned', { kind: 'clientId', value: 'villain' });
      assert.equal(ban.status, 201);
      assert.equal((await pub()).stderr, 'Connection refused: Banned (0x8a): banned\n');
      await stopProcess(broker.child);
      broker = await startCulex(args);
      const list = (await (await api('GET', '/api/v1/banned')).json()) as {
        items: { value: string }[];
      };
      assert.deepEqual(
        list.items.map((b) => b.value),
        ['villain'],
      );
      const refused = await pub();
      assert.equal(refused.stderr, 'Connection refused: Banned (0x8a): banned\n');
      assert.equal(refused.status, 1);
      assert.equal((await api('DELETE', '/api/v1/banned/clientId/villain')).status, 204);
      await stopProcess(broker.child);
      broker = await startCulex(args);
      assert.equal((await pub()).status, 0, 'the lifted ban stays lifted');
    } finally {
      await stopProcess(broker.child);
    }
  });
});
