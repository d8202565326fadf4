// The dashboard of a cluster, in headless Chromium: two brokers in this process joined over one
// standalone nats-server (JetStream on), each with its HTTP API and dashboard. The Nodes page
// lists both nodes with their figures and marks the one asked, the overview says "node X of 2
// (link to NATS up)", at 1280 and 420 px. A single-node broker hides the Nodes entry, and its
// /#/nodes says the broker is not in a cluster, without asking for a 404.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ClusterNodes } from '../../src/broker/admin-wire.js';
import { defaultClusterOptions } from '../../src/cluster/options.js';
import { startNats } from '../cluster/nats.js';
import { type Browser, DASHBOARD, logIn, openBrowser } from './browser.js';
import { type Harness, startHarness, waitFor } from './helpers.js';

const nats = await startNats();
const prefix = `dash${process.pid}`;
const node = (nodeName: string) =>
  startHarness({
    cluster: {
      ...defaultClusterOptions,
      servers: [nats.url],
      nodeName,
      prefix,
      // Figures travel in heartbeats: frequent ones keep the test short.
      heartbeatMs: 200,
    },
    http: { dashboardDir: DASHBOARD },
  });
let a: Harness;
let b: Harness;
try {
  a = await node('node-a');
  b = await node('node-b');
} catch (error) {
  await nats.stop();
  throw error;
}
const single = await startHarness({ http: { dashboardDir: DASHBOARD } });
// Registered after the brokers' own `after` hooks (startHarness), so it runs after they close.
after(() => nats.stop());

/** Console errors, uncaught exceptions and failed requests of a page, from now on. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return problems;
}

const nodesOf = async (h: Harness) => (await h.api('GET', '/api/v1/cluster/nodes')).body;

describe('dashboard of a two-node cluster, in headless Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  before(async () => {
    assert.ok(existsSync(join(DASHBOARD, 'index.html')), 'dashboard built (npm run build)');
    browser = await openBrowser({ width: 1280, height: 800 });
    page = browser.page;
    problems = watchProblems(page);
  });
  after(() => browser?.close());

  it('the API: /status says cluster, /cluster/nodes has both nodes with named figures', async () => {
    assert.equal((await a.api('GET', '/api/v1/status')).body.cluster, true);
    assert.equal((await single.api('GET', '/api/v1/status')).body.cluster, false);
    assert.equal((await single.api('GET', '/api/v1/cluster/nodes')).status, 404);
    // Clients on both nodes, so the figures differ: two on A, one subscriber on B.
    await a.connect('a-1');
    const publisher = await a.connect('a-2');
    const subscriber = await b.connect('b-1');
    await subscriber.subscribeAsync('dash/#', { qos: 1 });
    await waitFor(
      async () => {
        const c: ClusterNodes = await nodesOf(a);
        const figures = Object.fromEntries(c.nodes.map((n) => [n.name, n.figures]));
        return figures['node-a']?.clients === 2 && figures['node-b']?.subscriptions === 1;
      },
      8000,
      'both nodes heard with their clients',
    );
    for (let i = 0; i < 5; i++) await publisher.publishAsync('dash/x', `m${i}`, { qos: 1 });
    const c: ClusterNodes = await waitFor(
      async () => {
        const answer: ClusterNodes = await nodesOf(a);
        const bNode = answer.nodes.find((n) => n.name === 'node-b');
        return bNode?.figures.messagesSent === 5 ? answer : undefined;
      },
      8000,
      'the five messages counted on node-b',
    );
    assert.equal(c.node, 'node-a');
    assert.equal(c.linked, true);
    const nodeA = c.nodes.find((n) => n.name === 'node-a')!;
    assert.equal(nodeA.state, 'up');
    assert.ok(nodeA.uptimeSeconds >= 0 && nodeA.lastHeard >= 0);
    assert.deepEqual(Object.keys(nodeA.figures).sort(), [
      'clients',
      'connections',
      'messagesReceived',
      'messagesSent',
      'sessions',
      'subscriptions',
    ]);
  });

  it('1280 px: the overview says "node-a of 2 (link to NATS up)", the Nodes page lists both', async () => {
    await logIn(page, a.base);
    const place = page.getByTestId('cluster-place');
    await place.waitFor();
    assert.match(
      (await page.getByTestId('status').textContent()) ?? '',
      /^Node node-a of 2 \(link to NATS up\) · Culex/,
    );
    await browser.screenshot('dashboard-1280-cluster-overview');
    await page.locator('nav a', { hasText: 'Nodes' }).click();
    await page.locator('tr[data-node="node-b"]').waitFor();
    const rows = page.locator('[data-testid=nodes-table] tbody tr');
    assert.equal(await rows.count(), 2);
    const cells = async (name: string) =>
      (await page.locator(`tr[data-node="${name}"] td`).allTextContents()).map((t) => t.trim());
    // Node, state, last heard, uptime, connections, clients, sessions, subscriptions, in, out.
    const [nameA, stateA, heardA, uptimeA, ...figuresA] = await cells('node-a');
    assert.equal(nameA, 'node-athis node');
    assert.equal(await page.locator('tr[data-node="node-a"] .tag').textContent(), 'this node');
    assert.equal(stateA, 'up');
    assert.match(heardA!, /^\d+\.\d s ago$/);
    assert.match(uptimeA!, /^\d+s$/);
    assert.deepEqual(figuresA, ['2', '2', '2', '0', '5', '0']);
    const [nameB, stateB, , , ...figuresB] = await cells('node-b');
    assert.equal(nameB, 'node-b', 'only the node asked is marked');
    assert.equal(await page.locator('.tag').count(), 1);
    assert.equal(stateB, 'up');
    assert.deepEqual(figuresB, ['1', '1', '1', '1', '0', '5']);
    assert.match(
      (await page.getByTestId('cluster-summary').textContent()) ?? '',
      /node node-a · link to NATS up · 2 nodes, 2 up/,
    );
    await browser.screenshot('dashboard-1280-nodes');
    assert.deepEqual(problems, []);
  });

  it('refreshes: a client connecting on node-b shows up in its row', async () => {
    await b.connect('b-2');
    const clients = page.locator('tr[data-node="node-b"] td').nth(5);
    await waitFor(async () => (await clients.textContent()) === '2', 6000, 'node-b: 2 clients');
  });

  it('420 px: the Nodes page fits the screen, its table scrolls inside itself', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.reload();
    await page.locator('tr[data-node="node-b"]').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 420, `the page is ${width} px wide`);
    await browser.screenshot('dashboard-420-nodes');
    assert.deepEqual(problems, []);
  });

  it('a single node: no Nodes entry, and /#/nodes says it is not in a cluster', async () => {
    const lone = await browser.context.newPage();
    const loneProblems = watchProblems(lone);
    await logIn(lone, single.base);
    await lone.locator('nav a', { hasText: 'Clients' }).waitFor();
    assert.equal(await lone.locator('nav a', { hasText: 'Nodes' }).count(), 0);
    assert.equal(await lone.getByTestId('cluster-place').count(), 0);
    await lone.goto(`${single.base}/#/nodes`);
    await lone.getByTestId('not-clustered').waitFor();
    assert.match((await lone.getByTestId('not-clustered').textContent()) ?? '', /not in a cluster/);
    await lone.waitForLoadState('networkidle');
    assert.deepEqual(loneProblems, [], 'no 404 asked of /cluster/nodes');
    await lone.close();
  });
});
