import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { allOrgSync, authSync, dept, tenantSync, user } from '../helpers/fixtures.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { adminPage, shot } from './chromium.js';
import { TENANT, startWorld, type World } from '../sso/world.js';
import { listAudit } from '../../src/store/audit.js';


describe.skipIf(chromiumMissing).each(stores)('the admin overview and the words of its pages in Chromium on %s', (store) => {
  let w: World;
  let chromium: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // No APP_ORIGIN: a marketplace sign-in lands on koobridge's own account page.
    w = await startWorld(store, { env: { APP_ORIGIN: '' }, newInstance: true });
    await w.sync('allOrgSync', allOrgSync([dept('D01', null, '总部'), dept('D02', 'D01', '研发部'), dept('D03', 'D02', '平台组'), dept('D04', null, '销售部')], { instanceId: w.instanceId }));
    // wangwu is synced but not let in: his authorization is disabled.
    await w.sync('authSync', authSync([user('wangwu', { enable: 'false' })], { instanceId: w.instanceId }));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await chromium?.close();
    await w?.stop();
  });

  const open = async (locale: 'en-US' | 'zh-CN'): Promise<Page> => {
    const context = await chromium.newContext({ locale });
    contexts.push(context);
    return context.newPage();
  };
  const signedInAdmin = async (locale: 'en-US' | 'zh-CN' = 'en-US'): Promise<Page> => {
    const { page, context } = await adminPage(chromium, w.s.url, w.s.rt.config.adminPassword!, locale);
    contexts.push(context);
    return page;
  };
  const ssoSignedIn = async (userName: string, locale: 'en-US' | 'zh-CN'): Promise<Page> => {
    const page = await open(locale);
    await page.goto(await w.marketplaceCallback(userName));
    expect(new URL(page.url()).pathname).toBe('/sso/account');
    return page;
  };

  it('shows the figures of a synced tenant, the last day of calls as bars, and the latest failure linked to its page', async () => {
    // A second instance, frozen.
    const second = await w.s.basic({ activity: 'newInstance', orderId: 'CS-OVERVIEW-2', orderLineId: 'CS-OVERVIEW-2-000001', businessId: 'overview-test-2' });
    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: String(second.instanceId), status: 'FREEZE' })).toMatchObject({ resultCode: '000000' });
    await ssoSignedIn('zhangsan', 'en-US');
    // Signed with the wrong key: refused.
    await w.s.kit('tenantSync', tenantSync({ instanceId: w.instanceId }), { key: TEST_KEYS.basic });
    const refused = (await listAudit(w.s.rt.db, { channel: 'kit' }, 1)).items[0]!;
    expect(refused.outcome).toBe('rejected');

    const page = await signedInAdmin();
    const figure = (name: string) => page.textContent(`[data-count=${name}]`);
    expect(await figure('instances')).toBe('2');
    expect(await page.textContent('[data-instances=active]')).toBe('active 1');
    expect(await page.textContent('[data-instances=frozen]')).toBe('frozen 1');
    expect(await figure('tenants')).toBe('1');
    expect(await figure('authorizedUsers')).toBe('2');
    expect(await figure('departments')).toBe('4');
    expect(await figure('sessions')).toBe('1');
    const bar = (call: string) => page.locator(`tr[data-calls="${call}"]`);
    expect(await bar('authSync/000000').locator('[data-n]').textContent()).toBe('2');
    expect(await bar('allOrgSync/000000').locator('[data-n]').textContent()).toBe('1');
    expect(await bar(`tenantSync/${refused.resultCode}`).locator('[data-n]').textContent()).toBe('1');
    // The bars are drawn to scale: authSync's two calls twice as long as allOrgSync's one.
    const width = (call: string) => bar(call).locator('.bar').evaluate((e) => e.getBoundingClientRect().width);
    expect((await width('authSync/000000')) / (await width('allOrgSync/000000'))).toBeCloseTo(2, 2);
    await shot(page, `${store}-overview-figures`);

    await page.click(`tr[data-failure="${refused.id}"] a`);
    expect(new URL(page.url()).pathname).toBe(`/admin/calls/${refused.id}`);
    expect(await page.textContent('[data-diagnosis] [data-forms]')).toContain('raw, canonical');
  });

  it('says 已授权 on the Chinese tenant page', async () => {
    const page = await signedInAdmin('zh-CN');
    await page.goto(`${w.s.url}/admin/tenants/${w.instanceId}/${TENANT}`);
    expect(await page.locator('tr[data-user=zhangsan] [data-app]').first().textContent()).toMatch(/✓ 已授权 · admin/);
    expect(await page.locator('tr[data-user=wangwu] [data-app]').first().textContent()).toMatch(/✗ 已停用 · user/);
    expect(await page.textContent('main')).not.toMatch(/authorized/);
    await shot(page, `${store}-tenant-zh`);
  });

  it("tells a browser whose session the admin revoked that the application's provider ended it, in its language", async () => {
    for (const [locale, words] of [
      ['zh-CN', '应用服务商的管理员结束了您的登录。'],
      ['en-US', "The application's provider ended your sign-in."],
    ] as const) {
      const sso = await ssoSignedIn('lisi', locale);
      const admin = await signedInAdmin();
      await admin.goto(`${w.s.url}/admin/sessions?instanceId=${w.instanceId}&tenantId=${TENANT}&userName=lisi`);
      await admin.click('button:has-text("Revoke all")');
      await expect.poll(() => admin.textContent('[role=status]')).toContain('Revoked 1 session(s).');
      await sso.reload();
      expect(await sso.textContent('[data-ended]')).toBe(words);
      const session = await sso.request.get(`${w.s.rt.config.publicUrl}/sso/session`, { headers: { accept: 'application/json' } });
      expect(await session.json()).toMatchObject({ error: 'session_ended', reason: 'admin' });
      await shot(sso, `${store}-sso-ended-admin-${locale}`);
    }
  });
});
