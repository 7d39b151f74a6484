import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stores } from '../helpers/stores.js';
import { allOrgSync, dept, tenantSync } from '../helpers/fixtures.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { TENANT, count, startWorld, type World } from '../sso/world.js';
import { LOGIN_ATTEMPTS } from '../../src/admin/router.js';

const SHOTS = join(process.cwd(), 'test-results', 'admin');
const HOUR = 3_600_000;

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A datetime-local field's value (UTC, to the minute) for an epoch ms. */
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** The calls a page lists: [id, at] of each row, at read back from its UTC time. */
const listedCalls = (page: Page) =>
  page.locator('tr[data-call]').evaluateAll((rows) => rows.map((r) => [Number(r.getAttribute('data-call')), Date.parse(`${r.querySelector('a')!.textContent!.replace(' ', 'T')}Z`)] as [number, number]));

describe.skipIf(chromiumMissing).each(stores)('the admin console at its limits in Chromium on %s', (store) => {
  let w: World;
  let chromium: Browser;
  let admin: BrowserContext;
  /** Three batches of kit calls an hour apart, three days ago: 30, 40 and 40 calls. */
  let hours: number[];

  beforeAll(async () => {
    w = await startWorld(store);
    // 销售部 has more teams than one page of the tree shows.
    const teams = Array.from({ length: 230 }, (_, i) => dept(`D04-${String(i + 1).padStart(3, '0')}`, 'D04', `销售${i + 1}组`));
    await w.sync('allOrgSync', allOrgSync([dept('D01', null, '总部'), dept('D02', 'D01', '研发部'), dept('D03', 'D02', '平台组'), dept('D04', null, '销售部'), ...teams], { instanceId: w.instanceId }));
    const start = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
    hours = [start, start + HOUR, start + 2 * HOUR];
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      for (const [i, size] of [30, 40, 40].entries()) {
        vi.setSystemTime(hours[i]! + 60_000);
        for (let k = 0; k < size; k++) expect((await w.s.kit('tenantSync', tenantSync({ instanceId: w.instanceId, domainName: w.idp.url }))).resultCode).toBe('000000');
      }
    } finally {
      vi.useRealTimers();
    }
    chromium = await launchChromium();
    admin = await chromium.newContext({ locale: 'en-US', viewport: { width: 1100, height: 800 } });
    const page = await admin.newPage();
    await page.goto(`${w.s.url}/admin/login`);
    await page.fill('input[name=password]', w.s.rt.config.adminPassword!);
    await page.click('button[type=submit]');
    await page.waitForURL(`${w.s.url}/admin`);
    await page.close();
  });
  afterAll(async () => {
    await chromium?.close();
    await w?.stop();
  });

  it("revokes all of a user's SSO sessions from the sessions page and leaves another user's alive", async () => {
    const { browser: phone } = await w.marketplaceLogin('zhangsan');
    const { browser: laptop } = await w.marketplaceLogin('zhangsan');
    const { browser: lisi } = await w.marketplaceLogin('lisi');
    for (const b of [phone, laptop, lisi]) expect((await w.session(b)).status).toBe(200);

    const page = await admin.newPage();
    await page.goto(`${w.s.url}/admin/sessions?instanceId=${w.instanceId}&tenantId=${TENANT}&userName=zhangsan`);
    expect(await page.locator('tr[data-session]').count()).toBe(2);
    await shot(page, `${store}-sessions-of-a-user`);
    await page.click("button:text-is(\"Revoke all of this user's sessions\")");
    await expect.poll(() => page.textContent('[role=status]')).toContain('Revoked 2 session(s).');
    expect(await page.locator('tr[data-session]').count()).toBe(0);
    await shot(page, `${store}-sessions-all-revoked`);

    for (const b of [phone, laptop]) expect(await w.session(b)).toMatchObject({ status: 401, body: { error: 'session_ended' } });
    expect((await w.session(lisi)).status).toBe(200);
    expect(await count(w.s, 'audit_log', { channel: 'admin', call_name: 'revokeUserSessions' })).toBe(1);
    await page.goto(`${w.s.url}/admin/sessions?instanceId=${w.instanceId}&tenantId=${TENANT}&userName=lisi`);
    expect(await page.locator('tr[data-session]').count()).toBe(1);
    await page.close();
  });

  it('walks the department tree two levels by its links with JavaScript off', async () => {
    const context = await chromium.newContext({ locale: 'en-US', javaScriptEnabled: false, storageState: await admin.storageState() });
    const page = await context.newPage();
    await page.goto(`${w.s.url}/admin/tenants/${w.instanceId}/${TENANT}`);
    expect(await page.locator('#tree > details').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-org')))).toEqual(['D01', 'D04']);
    // <details> opens without script; its link is a page of the children.
    await page.click('details[data-org=D01] > summary');
    await page.click('details[data-org=D01] a');
    await page.waitForURL(/parentCode=D01/);
    expect(await page.locator('details').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-org')))).toEqual(['D02']);
    await page.click('details[data-org=D02] > summary');
    await page.click('details[data-org=D02] a');
    await page.waitForURL(/parentCode=D02/);
    expect(await page.locator('details').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-org')))).toEqual(['D03']);
    expect(await page.textContent('main')).toContain('平台组');
    await shot(page, `${store}-tree-without-javascript`);
    await context.close();
  });

  it('pages a level bigger than one page of the tree by its "More departments" link', async () => {
    const context = await chromium.newContext({ locale: 'en-US', javaScriptEnabled: false, storageState: await admin.storageState() });
    const page = await context.newPage();
    await page.goto(`${w.s.url}/admin/tenants/${w.instanceId}/${TENANT}/departments?parentCode=D04`);
    const codes = () => page.locator('details').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-org')!));
    const first = await codes();
    expect(first).toHaveLength(200);
    await page.click('text=More departments');
    await page.waitForURL(/page=2/);
    const second = await codes();
    expect(second).toHaveLength(30);
    expect([...first, ...second]).toEqual(Array.from({ length: 230 }, (_, i) => `D04-${String(i + 1).padStart(3, '0')}`));
    expect(await page.locator('text=More departments').count()).toBe(0);
    await context.close();
  });

  it('walks to older calls by Next without repeats, and the time filter narrows the list', async () => {
    const page = await admin.newPage();
    await page.goto(`${w.s.url}/admin/calls?channel=kit`);
    const seen: number[] = [];
    let oldestBefore = Infinity;
    for (let pages = 1; ; pages++) {
      const rows = await listedCalls(page);
      expect(rows.length).toBeGreaterThan(0);
      expect(Math.max(...rows.map(([, at]) => at))).toBeLessThanOrEqual(oldestBefore);
      oldestBefore = Math.min(...rows.map(([, at]) => at));
      seen.push(...rows.map(([id]) => id));
      if (pages === 2) await shot(page, `${store}-calls-second-page`);
      const next = page.locator('a[rel=next]');
      if ((await next.count()) === 0) break;
      await next.click();
      await page.waitForURL(/after=/);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(await count(w.s, 'audit_log', { channel: 'kit' }));
    expect(seen.length).toBeGreaterThan(100);

    // The second batch only: from its hour up to (not including) the next.
    await page.goto(`${w.s.url}/admin/calls`);
    await page.selectOption('select[name=channel]', 'kit');
    await page.fill('input[name=since]', minute(hours[1]!));
    await page.fill('input[name=until]', minute(hours[2]!));
    await page.click('form.filters button');
    await page.waitForURL(/since=/);
    const narrowed = await listedCalls(page);
    expect(narrowed).toHaveLength(40);
    expect(narrowed.every(([, at]) => at >= hours[1]! && at < hours[2]!)).toBe(true);
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    await shot(page, `${store}-calls-time-filter`);
    await page.close();
  });

  // Last: it uses up this address's sign-in attempts.
  it('refuses the 6th sign-in attempt of a minute in the browser, even with the right password, until the window has passed', async () => {
    const context = await chromium.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${w.s.url}/admin/login`);
    const attempt = async (password: string) => {
      await page.fill('input[name=password]', password);
      const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/admin/login')), page.click('button[type=submit]')]);
      await page.waitForLoadState();
      return answer;
    };
    for (let k = 0; k < LOGIN_ATTEMPTS; k++) {
      expect((await attempt(`wrong password ${k}`)).status()).toBe(401);
      expect(await page.textContent('[role=alert]')).toContain('That password is not right.');
    }
    const limited = await attempt('still the wrong password');
    expect(limited.status()).toBe(429);
    const retryAfter = Number(await limited.headerValue('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await page.textContent('[role=alert]')).toMatch(/Too many sign-in attempts\. Try again in \d+ seconds\./);
    await shot(page, `${store}-login-rate-limited`);

    const right = await attempt(w.s.rt.config.adminPassword!);
    expect(right.status()).toBe(429);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await page.textContent('[role=alert]')).toContain('Too many sign-in attempts');

    // The window passes (its start moved a minute back, as waiting Retry-After would): the right password signs in.
    await w.s.rt.db('admin_login_attempts').update({ window_start: Date.now() - 61_000 });
    await attempt(w.s.rt.config.adminPassword!);
    await page.waitForURL(`${w.s.url}/admin`);
    await context.close();
  });
});
