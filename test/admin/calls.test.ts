import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync } from '../helpers/fixtures.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { adminPage, shot } from './chromium.js';
import { listAudit } from '../../src/store/audit.js';


describe.skipIf(chromiumMissing).each(stores)('marketplace calls in the admin console in Chromium on %s', (store) => {
  let s: TestServer;
  let chromium: Browser;
  beforeAll(async () => {
    s = await startTestServer(store);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await s?.stop();
  });

  it('lists the calls newest first and shows a refused call with its skew, the forms tried and the key fingerprints', async () => {
    expect((await s.kit('tenantSync', tenantSync())).resultCode).toBe('000000');
    await s.kit('tenantSync', tenantSync(), { key: TEST_KEYS.basic, timestamp: String(Date.now() - 20_000) });
    const [refused, applied] = (await listAudit(s.rt.db, { channel: 'kit' }, 2)).items;

    const { page, context } = await adminPage(chromium, s.url, s.rt.config.adminPassword!);

    await page.goto(`${s.url}/admin/calls?channel=kit`);
    expect(await page.locator('tr[data-call]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-call'))))).toEqual([refused!.id, applied!.id]);
    await shot(page, `${store}-calls`);

    await page.click(`tr[data-call="${refused!.id}"] a`);
    const diagnosis = page.locator('[data-diagnosis]');
    expect(await diagnosis.locator('[data-skew]').textContent()).toMatch(/Its timestamp was (19|20|21) s away from our clock/);
    expect(await diagnosis.locator('[data-forms]').textContent()).toContain('raw, canonical');
    expect(await diagnosis.textContent()).toContain('kit/current');
    expect(await page.content()).not.toContain(TEST_KEYS.kit);
    await shot(page, `${store}-call-refused`);

    await page.goto(`${s.url}/admin/calls/${applied!.id}`);
    expect(await page.locator('[data-sign-form]').textContent()).toBe('raw (current)');
    await shot(page, `${store}-call-applied`);
    await context.close();
  });

});
