// The dashboard as a new user meets it, in headless Chromium at 1280 and 420 px: no console
// errors (no CSP violation on the WebSocket client page, no 401 on the login page with a
// stale token), readable navigation, counts in words, empty tables that say so, a kick that
// leaves a consistent drawer, and a phone-width layout without sideways scrolling.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type Browser, DASHBOARD, logIn, openBrowser } from './browser.js';
import { startHarness, waitFor } from './helpers.js';

const h = await startHarness({ http: { dashboardDir: DASHBOARD } });

/** Console errors, uncaught exceptions and failed requests of a page, from now on. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return problems;
}

describe('dashboard for a new user, in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  before(async () => {
    browser = await openBrowser({ width: 1280, height: 800 });
    page = browser.page;
    problems = watchProblems(page);
  });
  after(() => browser?.close());

  it('the login page with a stale token (the broker restarted) shows no 401, no error', async () => {
    await page.goto(`${h.base}/`);
    await page.evaluate(() => localStorage.setItem('culex.token', 'from-before-a-restart'));
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => localStorage.getItem('culex.token')), null);
    assert.deepEqual(problems, []);
  });

  it('1280 px: "Log out" readable on the bar, "1 client", an empty Banned table says so', async () => {
    await logIn(page, h.base);
    const client = await h.connect('only-client');
    await page.goto(`${h.base}/#/clients`);
    await page.locator('tr[data-client="only-client"]').waitFor();
    assert.equal(await page.locator('.toolbar .count').textContent(), '1 client');
    assert.ok((await contrast(page, 'nav button.link', 'nav')) >= 4.5, 'Log out contrast');
    await page.goto(`${h.base}/#/banned`);
    await page.getByText('No bans: every client may connect.').waitFor();
    const minutes = page.locator('input[name=minutes]');
    assert.ok(await placeholderFits(minutes), 'the minutes placeholder is not cut');
    await browser.screenshot('dashboard-1280-banned');
    await client.endAsync();
  });

  it('kick: the drawer says the client is disconnected, never "Connected yes" beside it', async () => {
    // Session Expiry 0: the session ends with the connection; 300: it stays, offline.
    for (const [clientId, expiry] of [
      ['kick-clean', 0],
      ['kick-persistent', 300],
    ] as const) {
      await h.connect(clientId, {
        protocolVersion: 5,
        properties: { sessionExpiryInterval: expiry },
      });
      await page.goto(`${h.base}/#/clients`);
      await page.locator(`tr[data-client="${clientId}"]`).click();
      const drawer = page.getByTestId('client-drawer');
      await drawer.getByText('yes', { exact: true }).waitFor();
      await page.getByTestId('kick').click();
      const status = await page.getByTestId('drawer-status').textContent();
      const text = (await drawer.textContent()) ?? '';
      assert.ok(!/Connectedyes/.test(text.replace(/\s/g, '')), `${clientId}: ${text}`);
      if (expiry === 0)
        assert.equal(status, 'Kicked: disconnected, and its session ended with it.');
      else {
        assert.equal(status, 'Kicked: disconnected.');
        assert.match(text.replace(/\s/g, ''), /Connectedno/);
      }
      await drawer.getByText('Close').click();
    }
  });

  it('the WebSocket client page connects without a Content Security Policy violation', async () => {
    problems.length = 0;
    await page.goto(`${h.base}/#/websocket`);
    await waitFor(async () => (await page.inputValue('[data-testid=ws-url]')) !== '', 5000, 'url');
    await page.click('[data-testid=ws-connect]');
    await page.getByTestId('ws-state').getByText('connected', { exact: true }).waitFor();
    await browser.screenshot('dashboard-1280-websocket');
    assert.deepEqual(problems, []);
  });

  it('420 px: a navigation bar above the page, nothing wider than the screen, legends clear of titles', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    for (const path of [
      'overview',
      'clients',
      'subscriptions',
      'retained',
      'banned',
      'websocket',
      'trace',
    ]) {
      await page.goto(`${h.base}/#/${path}`);
      await page.locator('main h2').waitFor();
      await page.waitForTimeout(300);
      const layout = await page.evaluate(() => {
        const nav = document.querySelector('nav')!.getBoundingClientRect();
        const main = document.querySelector('main')!.getBoundingClientRect();
        return { scrollWidth: document.documentElement.scrollWidth, nav, main };
      });
      assert.ok(layout.scrollWidth <= 420, `${path}: the page is ${layout.scrollWidth} px wide`);
      assert.ok(
        layout.nav.width >= 400 && layout.main.top >= layout.nav.bottom,
        `${path}: nav bar`,
      );
      if (path === 'overview') {
        const overlaps = await page.evaluate(() =>
          [...document.querySelectorAll('.chart figcaption')].map((caption) => {
            const a = caption.querySelector('.title')!.getBoundingClientRect();
            const b = caption.querySelector('.legend')!.getBoundingClientRect();
            return a.right > b.left && b.right > a.left && a.bottom > b.top && b.bottom > a.top;
          }),
        );
        assert.deepEqual(overlaps, [false, false]);
        await browser.screenshot('dashboard-420-overview');
      }
      if (path === 'banned') assert.ok(await placeholderFits(page.locator('input[name=minutes]')));
    }
    await browser.screenshot('dashboard-420-trace');
    assert.deepEqual(problems, []);
  });
});

/** WCAG contrast ratio of an element's text colour against another element's background. */
function contrast(page: Page, text: string, background: string): Promise<number> {
  return page.evaluate(
    ([t, b]) => {
      const rgb = (color: string) => (color.match(/\d+/g) ?? []).slice(0, 3).map(Number);
      const luminance = (color: string) => {
        const [r, g, bl] = rgb(color).map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
      };
      const fg = luminance(getComputedStyle(document.querySelector(t!)!).color);
      const bg = luminance(getComputedStyle(document.querySelector(b!)!).backgroundColor);
      return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    },
    [text, background],
  );
}

/** Whether an input's placeholder fits in its box (measured with the input's own font). */
function placeholderFits(input: ReturnType<Page['locator']>): Promise<boolean> {
  return input.evaluate((element) => {
    const el = element as HTMLInputElement;
    const style = getComputedStyle(el);
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = style.font;
    const room =
      el.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
    return context.measureText(el.placeholder).width <= room;
  });
}
