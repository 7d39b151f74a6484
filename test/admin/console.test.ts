import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { allOrgSync, dept } from '../helpers/fixtures.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { shot } from './chromium.js';
import { TENANT, count, startWorld, type World } from '../sso/world.js';


describe.skipIf(chromiumMissing).each(stores)('the admin console in Chromium on %s', (store) => {
  let w: World;
  let chromium: Browser;
  beforeAll(async () => {
    w = await startWorld(store);
    await w.sync('allOrgSync', allOrgSync([dept('D01', null, '总部'), dept('D02', 'D01', '研发部'), dept('D03', 'D02', '平台组'), dept('D04', null, '销售部')], { instanceId: w.instanceId }));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await w?.stop();
  });

  it('signs in, shows a synced user with their authorization, opens the tree, and revokes a session so the SSO session ends', async () => {
    const { browser: zhangsan } = await w.marketplaceLogin('zhangsan');
    expect((await w.session(zhangsan)).status).toBe(200);

    const context = await chromium.newContext({ locale: 'en-US', viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${w.s.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('input[name=password]', 'certainly not the password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('That password is not right.');
    await shot(page, `${store}-login-refused`);
    await page.fill('input[name=password]', w.s.rt.config.adminPassword!);
    await page.click('button[type=submit]');
    await page.waitForURL(`${w.s.url}/admin`);
    expect(await page.textContent('[data-count=tenants]')).toBe('1');
    await shot(page, `${store}-overview`);

    // The tenant, found from the overview: the synced user and their authorization.
    await page.click(`a[href="/admin/tenants/${w.instanceId}/${TENANT}"]`);
    await page.fill('input[name=user]', 'zhangsan');
    await page.click('form.filters button');
    const row = page.locator('tr[data-user=zhangsan]');
    await expect.poll(() => row.textContent()).toContain('Name zhangsan');
    expect(await row.locator('[data-app]').first().textContent()).toMatch(/✓ authorized · admin/);
    // Only the first level is in the page; opening a department fetches its children.
    expect(await page.locator('#tree > details').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-org')))).toEqual(['D01', 'D04']);
    expect(await page.locator('details[data-org=D02]').count()).toBe(0);
    await page.click('details[data-org=D01] > summary');
    await page.locator('details[data-org=D02]').waitFor();
    await page.click('details[data-org=D02] > summary');
    await page.locator('details[data-org=D03]').waitFor();
    await shot(page, `${store}-tenant`);

    // Sessions: revoke zhangsan's.
    await page.click('tr[data-user=zhangsan] a');
    await page.locator('tr[data-session]').waitFor();
    await shot(page, `${store}-sessions`);
    await page.click('tr[data-session] button[type=submit]');
    await expect.poll(() => page.textContent('[role=status]')).toContain('Revoked 1 session(s).');
    expect(await page.locator('tr[data-session]').count()).toBe(0);
    await shot(page, `${store}-sessions-revoked`);

    expect(await w.session(zhangsan)).toMatchObject({ status: 401, body: { error: 'session_ended', reason: 'admin' } });
    const events = await w.s.rt.db('events').where({ type: 'session.revoked' }).select('data');
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ userName: 'zhangsan', reason: 'admin' });
    expect(await count(w.s, 'audit_log', { channel: 'admin', call_name: 'revokeSession' })).toBe(1);

    // An instance newInstance created: its status and order, reached from the list.
    const created = await w.s.basic({ activity: 'newInstance', orderId: 'CS-ADMIN-ORDER', orderLineId: 'CS-ADMIN-ORDER-000001', businessId: 'admin-test-business-id' });
    await page.goto(`${w.s.url}/admin/instances?status=active`);
    await shot(page, `${store}-instances`);
    await page.click(`tr[data-instance="${String(created.instanceId)}"] a`);
    expect(await page.textContent('[data-status]')).toBe('active');
    expect(await page.textContent('main')).toContain('CS-ADMIN-ORDER');
    await shot(page, `${store}-instance`);

    // On a phone, in Chinese.
    const phone = await chromium.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 800 }, storageState: await context.storageState() });
    const small = await phone.newPage();
    await small.goto(`${w.s.url}/admin/tenants/${w.instanceId}/${TENANT}`);
    expect(await small.textContent('h1')).toContain('租户');
    await shot(small, `${store}-tenant-phone-zh`);
    await phone.close();
    await context.close();
  });
});
