// The client in a real browser: src/client/index.ts bundled by esbuild for the browser (no
// Node built-ins: the Node transport is left out, Buffer comes from the `buffer` package),
// loaded by Debian's headless Chromium and run over ws:// against local brokers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { connect } from '../../src/client/index.js';
import { type TestBroker, brokerKinds, startBroker } from './brokers.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** node:buffer for the browser: the `buffer` package plus the few extras the codec uses. */
const BUFFER_SHIM = `
import { Buffer } from ${JSON.stringify(join(root, 'node_modules/buffer/index.js'))};
const strict = new TextDecoder('utf-8', { fatal: true });
Buffer.prototype.latin1Slice = function (start, end) { return this.toString('latin1', start, end); };
Buffer.prototype.utf8Slice = function (start, end) { return this.toString('utf8', start, end); };
Buffer.prototype.utf8Write = function (value, offset) { return this.write(value, offset, 'utf8'); };
export function isUtf8(bytes) { try { strict.decode(bytes); return true; } catch { return false; } }
export { Buffer };
`;

/** Bundles the client for browsers; fails if anything would pull in a Node built-in. */
export async function buildBrowserBundle(dir: string): Promise<string> {
  writeFileSync(join(dir, 'node-buffer.js'), BUFFER_SHIM);
  writeFileSync(
    join(dir, 'inject.js'),
    `export { Buffer } from ${JSON.stringify(join(dir, 'node-buffer.js'))};`,
  );
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    inject: [join(dir, 'inject.js')],
    plugins: [
      {
        name: 'browser-only',
        setup(build) {
          build.onResolve({ filter: /^node:buffer$/ }, () => ({
            path: join(dir, 'node-buffer.js'),
          }));
          // The Node transport (net, tls, ws) has no place in a browser.
          build.onResolve({ filter: /transport-node\.js$/ }, () => ({
            path: 'transport-node',
            namespace: 'stub',
          }));
          build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
            contents: 'export {};',
            loader: 'js',
          }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as culex from './client.js';
window.culex = culex;
window.ready = true;
</script>`;

/** What the page does with the bundled client; runs inside Chromium. */
async function browserScenario(url: string) {
  const { connect } = (window as unknown as { culex: typeof import('../../src/client/index.js') })
    .culex;
  const client = await connect(url, { protocolVersion: 5 });
  const log: string[] = [];
  const granted = await client.subscribe('browser/#', { qos: 2 });
  const stream = client.messages('browser/+/echo');
  for (const qos of [0, 1, 2] as const)
    await client.publish(`browser/${qos}/echo`, `hello ${qos}`, { qos });
  for await (const m of stream) {
    log.push(`${m.topic} ${new TextDecoder().decode(m.payload)} q${m.qos}`);
    if (log.length === 3) break;
  }
  const fromNode = new Promise<string>((resolve) =>
    client.on('message', (m) => {
      if (m.topic === 'browser/from-node') resolve(new TextDecoder().decode(m.payload));
    }),
  );
  await client.publish('browser/ready', 'go', { qos: 1 });
  const nodeSaid = await fromNode;
  await client.end();
  return { granted, log, nodeSaid, userAgent: navigator.userAgent };
}

const kinds = await brokerKinds();

describe('client in headless Chromium over ws://', () => {
  let dir: string;
  let server: http.Server;
  let context: BrowserContext;
  let pageUrl: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'culex-browser-'));
    const bundle = await buildBrowserBundle(dir);
    server = http.createServer((req, res) => {
      const js = req.url === '/client.js';
      res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
      res.end(js ? bundle : PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  after(async () => {
    await context?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bundles without Node built-ins', async () => {
    const bundle = await buildBrowserBundle(dir);
    assert.doesNotMatch(bundle, /from\s*["']node:|require\(["'](net|tls|ws)["']\)/);
  });

  for (const kind of kinds) {
    it(`publishes, subscribes and iterates messages against ${kind}`, async () => {
      const broker: TestBroker = await startBroker(kind);
      const node = await connect(broker.url, { protocolVersion: 5 });
      try {
        await node.subscribe('browser/ready', { qos: 1 });
        node.on('message', (m) => {
          if (m.topic === 'browser/ready')
            void node.publish('browser/from-node', 'hi from node', { qos: 1 });
        });
        const page = await context.newPage();
        await page.goto(pageUrl);
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
        const result = await page.evaluate(browserScenario, broker.wsUrl!);
        await page.close();
        assert.match(result.userAgent, /Chrome/);
        assert.deepEqual(result.granted, [2]);
        assert.deepEqual(result.log, [
          'browser/0/echo hello 0 q0',
          'browser/1/echo hello 1 q1',
          'browser/2/echo hello 2 q2',
        ]);
        assert.equal(result.nodeSaid, 'hi from node');
      } finally {
        node.destroy();
        await broker.stop();
      }
    });
  }
});
