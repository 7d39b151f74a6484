import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { allOrgSync, dept, tenantSync } from '../helpers/fixtures.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { adminPage, shot } from './chromium.js';
import { count } from '../sso/world.js';

const HELD = '000005';

const tree60 = () => Array.from({ length: 60 }, (_, i) => dept(`d${String(i).padStart(2, '0')}`, i === 0 ? null : 'd00', `部门 ${i}`));

describe.skipIf(chromiumMissing).each(stores)('held syncs in the admin console in Chromium on %s', (store) => {
  let s: TestServer;
  let chromium: Browser;
  beforeAll(async () => {
    s = await startTestServer(store);
    expect((await s.kit('tenantSync', tenantSync())).resultCode).toBe('000000');
    expect((await s.kit('allOrgSync', allOrgSync(tree60()))).resultCode).toBe('000000');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await s?.stop();
  });

  it('shows what a held sync would remove page by page, discards one and applies another', async () => {
    expect((await s.kit('allOrgSync', allOrgSync([]))).resultCode).toBe(HELD);

    const { page, context } = await adminPage(chromium, s.url, s.rt.config.adminPassword!);
    const liveDepartments = async () => {
      await page.goto(`${s.url}/admin`);
      return page.textContent('[data-count=departments]');
    };
    expect(await liveDepartments()).toBe('60');

    await page.click('nav a:has-text("Held syncs")');
    expect(await page.textContent('tr[data-held="1"] [data-state]')).toBe('held');
    expect(await page.textContent('tr[data-held="1"] [data-would-remove]')).toBe('60');
    await shot(page, `${store}-held-syncs`);

    // What it would remove: 60 departments, 50 on the first page.
    await page.click('tr[data-held="1"] a');
    expect(await page.locator('tr[data-removal]').count()).toBe(50);
    expect(await page.textContent('tr[data-removal="d00"]')).toContain('部门 0');
    await shot(page, `${store}-held-sync`);
    await page.click('.pages a:has-text("Next")');
    expect(await page.locator('tr[data-removal]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-removal')))).toEqual(['d50', 'd51', 'd52', 'd53', 'd54', 'd55', 'd56', 'd57', 'd58', 'd59']);

    await page.click('button[data-decide=discard]');
    await expect.poll(() => page.textContent('[role=status]')).toBe('Held sync 1: discarded.');
    expect(await page.textContent('[data-state]')).toBe('discarded');
    expect(await page.locator('button[data-decide]').count()).toBe(0);
    expect(await page.textContent('main')).toContain('It is no longer held');
    await shot(page, `${store}-held-sync-discarded`);
    expect(await liveDepartments()).toBe('60');

    // A full sync cut short at 10 departments: held, then applied.
    expect((await s.kit('allOrgSync', allOrgSync(tree60().slice(0, 10)))).resultCode).toBe(HELD);
    await page.goto(`${s.url}/admin/held-syncs?state=held`);
    expect(await page.locator('tr[data-held]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-held')))).toEqual(['2']);
    await page.click('tr[data-held="2"] a');
    expect(await page.textContent('[data-would-remove]')).toBe('50');
    await page.click('button[data-decide=apply]');
    await expect.poll(() => page.textContent('[role=status]')).toBe('Held sync 2: applied.');
    await shot(page, `${store}-held-sync-applied`);
    expect(await liveDepartments()).toBe('10');
    // The admin's decisions are audited as the admin's.
    expect(await count(s, 'audit_log', { channel: 'admin', call_name: 'discardHeldSync', result_code: '200' })).toBe(1);
    expect(await count(s, 'audit_log', { channel: 'admin', call_name: 'applyHeldSync', result_code: '200' })).toBe(1);

    // In Chinese.
    await page.goto(`${s.url}/admin/held-syncs/2?lang=zh`);
    expect(await page.textContent('[data-state]')).toBe('已应用');
    await shot(page, `${store}-held-sync-zh`);
    await context.close();
  });
});
