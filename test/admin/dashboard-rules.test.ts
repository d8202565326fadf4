// The Rules and Connectors pages in headless Chromium: create a rule, test it in the panel,
// see its counters move as messages arrive; a connector shows its status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Webhook } from '../connectors/harness.js';
import { type Browser, DASHBOARD, logIn, openBrowser } from './browser.js';
import { startHarness } from './helpers.js';

const h = await startHarness({ http: { dashboardDir: DASHBOARD }, rules: {} });
const hook = await Webhook.start();
after(() => hook.stop());

describe('dashboard: rules and connectors, in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  before(async () => {
    browser = await openBrowser();
    page = browser.page;
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    await logIn(page, h.base);
  });
  after(() => browser?.close());

  it('create a rule, test it in the panel, see its counters move', async () => {
    await page.goto(`${h.base}/#/rules`);
    await page.getByText('No rules yet: create one below.').waitFor();
    const editor = page.getByTestId('rule-editor');
    await editor.locator('input[name=id]').fill('hot');
    // The default SQL and sample: payload.temp 35 > 30 passes.
    await page.getByTestId('test-rule').click();
    const output = JSON.parse((await page.getByTestId('test-output').textContent()) ?? '');
    assert.deepEqual(output, [{ t: 35, clientid: 'dev1' }]);
    // A sample the WHERE filters out gives no output.
    await editor
      .locator('textarea[name=context]')
      .fill('{"topic":"sensors/1","payload":"{\\"temp\\":3}"}');
    await page.getByTestId('test-rule').click();
    await page.getByTestId('test-output').getByText('[]').waitFor();
    await editor.locator('button[type=submit]').click();
    const row = page.locator('tr[data-rule="hot"]');
    await row.waitFor();
    assert.equal(await row.getByTestId('matched').textContent(), '0');
    const client = await h.connect('dev1');
    await client.publishAsync('sensors/1/temp', '{"temp":35}', { qos: 1 });
    await client.publishAsync('sensors/1/temp', '{"temp":10}', { qos: 1 });
    await row.getByTestId('matched').getByText('2').waitFor();
    assert.equal(await row.getByTestId('passed').textContent(), '1');
    await browser.screenshot('dashboard-rules');
    assert.deepEqual(problems, []);
  });

  it('a connector shows its status; bad input shows the API message', async () => {
    await page.goto(`${h.base}/#/connectors`);
    const form = page.locator('form.rule-editor');
    await form
      .locator('textarea')
      .fill(JSON.stringify({ name: 'hook', type: 'http', url: hook.url }));
    await form.locator('button[type=submit]').click();
    const row = page.locator('tr[data-connector="hook"]');
    await row.waitFor();
    assert.match(
      (await row.getByTestId('status').textContent()) ?? '',
      /^(connected|connecting|disconnected)$/,
    );
    await form.locator('textarea').fill(JSON.stringify({ name: 'k', type: 'kafka' }));
    await form.locator('button[type=submit]').click();
    await page.getByText(/'connector.type' must be one of http/).waitFor();
    assert.deepEqual(problems, []);
  });
});
