// Safe by default: `culex start` with no host listens on this machine only and says how to
// open it up (as Mosquitto 2 does); open to the network with no auth, it warns. The banner
// names the data directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CULEX_MAIN, freePort, stopProcess } from '../../bench/broker-process.js';
import { ANONYMOUS_HINT, LOCAL_ONLY_HINT, startBanner } from '../../src/cli/start-banner.js';
import { defaultConfig } from '../../src/config.js';

/** Runs `culex start` with `args` until its banner ends with a hint line; the banner. */
async function banner(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CULEX_MAIN, 'start', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const deadline = Date.now() + 15_000;
  while (!/^(Local only|Warning).*\n/m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stopProcess(child);
  return output;
}

describe('culex start: safe by default', () => {
  it('with no host: MQTT and WebSocket on 127.0.0.1 only, the hint, the data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'culex-banner-'));
    try {
      const [port, wsPort] = [await freePort(), await freePort()];
      const text = await banner([
        ...['--port', String(port), '--ws-port', String(wsPort), '--http-port', '0'],
        ...['--data-dir', dir],
      ]);
      assert.ok(text.includes(`store: lmdb, data directory ${dir}\n`), text);
      assert.ok(text.includes(`  tcp  127.0.0.1:${port}\n  ws   127.0.0.1:${wsPort}/mqtt\n`), text);
      assert.ok(text.includes(`${LOCAL_ONLY_HINT}\n`), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('all interfaces without auth: the warning; with auth or allowAnonymous: none', () => {
    const open = [{ type: 'tcp', host: '0.0.0.0', port: 1883 }];
    const config = { ...defaultConfig(), store: 'memory' as const };
    const text = startBanner(config, open, [], undefined);
    assert.ok(text.endsWith(`  tcp  0.0.0.0:1883\n${ANONYMOUS_HINT}\n`), text);
    for (const auth of [{ passwordFile: 'p.txt' }, { allowAnonymous: true }]) {
      const quiet = startBanner({ ...config, auth }, open, [], undefined);
      assert.ok(!quiet.includes('Warning') && !quiet.includes('Local only'), quiet);
    }
    const local = startBanner(config, [{ type: 'tcp', host: '::1', port: 1 }], [], undefined);
    assert.ok(local.includes(LOCAL_ONLY_HINT));
  });
});
