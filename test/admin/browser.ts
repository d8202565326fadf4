// A headless Chromium page on the dashboard, for the browser tests: a private profile in a
// temporary directory, and PNG screenshots checked for content (kept in docs/img/ when
// CULEX_UPDATE_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARD = join(ROOT, 'dist', 'dashboard');
const SHOTS = process.env.CULEX_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : undefined;

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a screenshot of `page` (temporary unless CULEX_UPDATE_SCREENSHOTS=1) and checks it. */
  screenshot(name: string, page?: Page): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'culex-dashboard-'));
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  return {
    context,
    page,
    async screenshot(name, target = page) {
      const path = join(SHOTS ?? dir, `${name}.png`);
      mkdirSync(join(path, '..'), { recursive: true });
      await target.screenshot({ path, fullPage: false });
      const png = readFileSync(path);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${name} is a PNG`);
      assert.ok(png.length > 10_000, `${name} screenshot has content`);
    },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in as the harness's dashboard user (admin / secret-pw) and waits for the overview. */
export async function logIn(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'secret-pw');
  await page.click('button[type=submit]');
  await page.getByTestId('status').waitFor();
}
