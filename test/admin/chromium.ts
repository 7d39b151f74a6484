import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const SHOTS = join(process.cwd(), 'test-results', 'admin');

/** What the merchant sees, kept to look at (test-results/ is not committed). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A laptop-sized page in a context of its own, signed in to the console through its form; on the overview. */
export async function adminPage(chromium: Browser, url: string, password: string, locale: 'en-US' | 'zh-CN' = 'en-US'): Promise<{ page: Page; context: BrowserContext }> {
  const context = await chromium.newContext({ locale, viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${url}/admin/login`);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${url}/admin`);
  return { page, context };
}
