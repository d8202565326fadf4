// End to end in Debian's headless Chromium: the built dashboard served by the broker's HTTP
// listener; log in, watch a client appear and kick it, publish from the WebSocket client page
// to a subscriber, and see the message in the live trace. Takes the README screenshots
// (written to docs/img/ when CULEX_UPDATE_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { MqttSnClient } from '../../src/client/mqttsn.js';
import { DASHBOARD, openBrowser } from './browser.js';
import { nextMessage, startHarness, waitFor } from './helpers.js';

/** Figures as an auth source reports them (the sources themselves are tested in test/auth). */
const POSTGRES_FIGURES = {
  name: 'postgres',
  onError: 'deny' as const,
  requests: 42,
  allow: 40,
  deny: 1,
  errors: 1,
  cacheHits: 30,
  queries: 12,
  latencySecondsSum: 0.024,
  latencySecondsMax: 0.005,
};

const h = await startHarness({
  listeners: [
    { type: 'tcp', port: 0, host: '127.0.0.1' },
    { type: 'ws', port: 0, host: '127.0.0.1', path: '/mqtt' },
    { type: 'mqttsn', port: 0, host: '127.0.0.1' },
  ],
  http: {
    dashboardDir: DASHBOARD,
    metrics: { sampleInterval: 0.5 },
    authSources: () => [POSTGRES_FIGURES],
  },
});

describe('dashboard in headless Chromium', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let screenshot: (name: string) => Promise<void>;
  let close: () => Promise<void>;
  before(async () => {
    assert.ok(existsSync(join(DASHBOARD, 'index.html')), 'dashboard built (npm run build)');
    ({ context, page, screenshot, close } = await openBrowser());
  });
  after(() => close?.());

  it('serves the app with security headers, and refuses a wrong login', async () => {
    const res = await fetch(`${h.base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy')!, /default-src 'self'/);
    assert.match(await res.text(), /<div id="app">/);
    await page.goto(`${h.base}/`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.getByText('wrong username or password').waitFor();
  });

  it('logs in and shows the overview with live charts', async () => {
    const traffic = await h.connect('overview-pub');
    const sub = await h.connect('overview-sub');
    await sub.subscribeAsync('overview/#');
    const timer = setInterval(() => {
      for (let i = 0; i < 20; i++) traffic.publish('overview/load', 'x');
    }, 20);
    try {
      for (let i = 1; i <= 4; i++) {
        await h.connect(`overview-${i}`);
        await new Promise((r) => setTimeout(r, 600));
      }
      await page.fill('input[name=password]', 'secret-pw');
      await page.click('button[type=submit]');
      await page.getByTestId('status').waitFor();
      assert.match((await page.getByTestId('status').textContent()) ?? '', /Node culex/);
      const legend = page.locator('[data-testid=chart-rates] .legend span').first();
      await waitFor(
        async () => /in [1-9]/.test((await legend.textContent()) ?? ''),
        8000,
        'a message rate',
      );
      const points = await page
        .locator('[data-testid=chart-connections] polyline')
        .getAttribute('points');
      assert.ok(points!.split(' ').length >= 4, 'a history of connections');
      const sources = (await page.getByTestId('auth-sources').textContent()) ?? '';
      assert.match(sources, /postgres\s*deny\s*42\s*40\s*1\s*1\s*30\s*12\s*2\.0 ms \/ 5\.0 ms/);
      await screenshot('overview');
    } finally {
      clearInterval(timer);
    }
  });

  it('shows a client connected by the test within 2 s, and kicks it', async () => {
    await page.goto(`${h.base}/#/clients`);
    await page.getByTestId('clients-table').waitFor();
    for (let i = 1; i <= 3; i++) await h.connect(`sensor-${i}`, { username: 'device' });
    const started = Date.now();
    const client = await h.connect('e2e-client', { protocolVersion: 5, username: 'tester' });
    const row = page.locator('tr[data-client="e2e-client"]');
    await row.waitFor({ timeout: 2000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 2000, `appeared after ${elapsed} ms`);
    await screenshot('clients');
    const disconnected = new Promise<number | undefined>((r) =>
      client.once('disconnect', (p) => r(p.reasonCode)),
    );
    await row.click();
    await page.getByTestId('client-drawer').getByText('tester').waitFor();
    await page.getByTestId('kick').click();
    assert.equal(await disconnected, 0x98);
    await row.waitFor({ state: 'detached', timeout: 3000 });
  });

  it('shows an MQTT-SN client with its protocol (SN 1.2) and transport', async () => {
    const port = h.server.address('mqttsn').port;
    const device = await MqttSnClient.connect({ host: '127.0.0.1', port, clientId: 'sn-device' });
    try {
      await page.goto(`${h.base}/#/clients`);
      const row = page.locator('tr[data-client="sn-device"]');
      await row.waitFor({ timeout: 3000 });
      assert.match((await row.textContent()) ?? '', /SN 1\.2/);
      await row.click();
      const drawer = page.getByTestId('client-drawer');
      await drawer.getByText('MQTT-SN 1.2 (gateway)').waitFor();
      assert.match((await drawer.textContent()) ?? '', /\(mqtt-sn\)/);
    } finally {
      await device.disconnect();
    }
  });

  it('publishes from the WebSocket client page to a subscriber, seen in the trace', async () => {
    const trace = await context.newPage();
    await trace.goto(`${h.base}/#/trace`);
    await trace.fill('[data-testid=trace-topic]', 'e2e/#');
    await trace.click('[data-testid=trace-start]');
    await trace.getByText('tracing').waitFor();
    const subscriber = await h.connect('e2e-subscriber', { protocolVersion: 5 });
    await subscriber.subscribeAsync('e2e/ws', { qos: 1 });
    const arrived = nextMessage(subscriber, 10_000);

    await page.goto(`${h.base}/#/websocket`);
    await waitFor(
      async () => (await page.inputValue('[data-testid=ws-url]')) !== '',
      5000,
      'ws url',
    );
    assert.equal(await page.inputValue('[data-testid=ws-url]'), h.wsUrl);
    await page.fill('[data-testid=ws-client-id]', 'browser-client');
    await page.click('[data-testid=ws-connect]');
    await page.getByTestId('ws-state').getByText('connected', { exact: true }).waitFor();
    await page.fill('[data-testid=ws-pub-topic]', 'e2e/ws');
    await page.fill('[data-testid=ws-pub-payload]', 'from the browser');
    await page.fill('[data-testid=ws-pub-content-type]', 'text/plain');
    await page.fill('[data-testid=ws-pub-user-properties]', 'origin=chromium');
    await page.click('[data-testid=ws-publish]');

    const { payload, packet } = await arrived;
    assert.equal(payload.toString(), 'from the browser');
    assert.equal(packet.properties?.contentType, 'text/plain');
    assert.deepEqual({ ...packet.properties?.userProperties }, { origin: 'chromium' });

    const traced = trace.locator('tr[data-topic="e2e/ws"]');
    await traced.waitFor({ timeout: 5000 });
    const text = (await traced.textContent()) ?? '';
    assert.match(text, /browser-client/);
    assert.match(text, /from the browser/);
    await trace.close();
  });

  it('subscribes in the WebSocket client page and shows messages with 5.0 properties', async () => {
    await page.fill('[data-testid=ws-sub-filter]', 'e2e/echo/#');
    await page.click('[data-testid=ws-subscribe]');
    await page.getByTestId('ws-subscriptions').getByText('e2e/echo/#').waitFor();
    const node = await h.connect('e2e-node', { protocolVersion: 5 });
    await node.publishAsync('e2e/echo/1', 'hello page', {
      qos: 1,
      properties: { contentType: 'application/x-test', userProperties: { k: 'v' } },
    });
    const item = page.locator('[data-testid=ws-messages] li[data-topic="e2e/echo/1"]');
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    assert.match(text, /hello page/);
    assert.match(text, /application\/x-test/);
    assert.match(text, /"k":"v"/);
  });
});
