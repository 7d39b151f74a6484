import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { chromiumMissing, launchChromium, screenshot } from './chromium.js';
import { TENANT, count, startWorld, type World } from './world.js';

/**
 * What a person sees around signing in, in a real Chromium: the landing page, refusals in their
 * language with a way forward, signing out (from our page and from a link on another site), and
 * why a session ended. Each page is also saved as a screenshot under test-results/pages/.
 */
describe.skipIf(chromiumMissing).each(stores)('sign-in pages in Chromium on %s', (store) => {
  let w: World;
  let chrome: Browser;
  /** The merchant's application on another site (localhost is cross-site to 127.0.0.1). */
  let otherSite: { server: Server; url: string; html: string };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // Out of the box: no APP_ORIGIN, so koobridge's own pages are where people land.
    w = await startWorld(store, { env: { APP_ORIGIN: '' }, newInstance: true });
    chrome = await launchChromium();
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(otherSite.html);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    otherSite = { server, url: `http://localhost:${(server.address() as AddressInfo).port}/`, html: '' };
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await chrome?.close();
    otherSite?.server.close();
    await w?.stop();
  });

  const ours = () => w.s.rt.config.publicUrl;
  const open = async (locale: 'zh-CN' | 'en-US'): Promise<Page> => {
    const context = await chrome.newContext({ locale });
    contexts.push(context);
    return context.newPage();
  };
  const shot = (page: Page, name: string) => screenshot(page, `${store}-${name}`);
  const signedIn = async (userName: string, locale: 'zh-CN' | 'en-US' = 'zh-CN') => {
    const page = await open(locale);
    await page.goto(await w.marketplaceCallback(userName));
    expect(page.url()).toBe(`${ours()}/sso/account`);
    return page;
  };
  const sessionOf = async (page: Page) => {
    const res = await page.request.get(`${ours()}/sso/session`, { headers: { accept: 'application/json' } });
    return { status: res.status(), body: await res.json() };
  };

  it('a marketplace sign-in lands on the account page: who, which enterprise, and sign-out', async () => {
    const page = await signedIn('zhangsan');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('h1')).toBe('已登录');
    expect(await page.textContent('[data-user]')).toBe('Name zhangsan (zhangsan)');
    expect(await page.textContent('[data-enterprise]')).toBe('huaiweitest');
    expect(await page.isVisible('button:has-text("退出登录")')).toBe(true);
    expect(await page.textContent('main')).toContain('此应用的地址尚未配置');
    await shot(page, 'account-zh');
  });

  it("the marketplace's entry link (/sso/login?instanceId=…, queryInstance's frontEndUrl) lands there too, in English for an English browser", async () => {
    const page = await open('en-US');
    await page.goto(`${ours()}/sso/login?instanceId=${w.instanceId}`);
    expect(page.url()).toBe(`${ours()}/sso/account`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('main')).toContain('You are signed in as');
    await shot(page, 'account-en');
  });

  it('a refusal speaks the browser\'s language, keeps the technical reason out of sight, and offers a way forward', async () => {
    for (const [locale, title, retry] of [
      ['zh-CN', '您的账号未获授权使用此应用', '重新登录'],
      ['en-US', 'Your account may not use this application', 'Sign in again'],
    ] as const) {
      const page = await open(locale);
      const res = await page.goto(await w.marketplaceCallback('wangwu'));
      expect(res!.status()).toBe(403);
      expect(await page.textContent('h1')).toBe(title);
      const text = (await page.textContent('main'))!;
      expect(text).not.toMatch(/authSync|wangwu|app_id|tenant/);
      const reference = (await page.textContent('[data-reference]'))!;
      expect(reference).toMatch(/^KB-[0-9A-F]{8}$/);
      expect(await w.s.rt.db('audit_log').where('result_msg', 'like', `${reference} user_not_authorized:%`).first()).toBeDefined();
      await shot(page, `refusal-not-authorized-${locale}`);
      if (locale === 'zh-CN') {
        await page.setViewportSize({ width: 390, height: 844 });
        await shot(page, 'refusal-not-authorized-phone');
      }
      // The way forward: sign in again, here with an account that is authorized.
      w.idp.loginAs = 'lisi';
      await page.click(`a:has-text("${retry}")`);
      expect(page.url()).toBe(`${ours()}/sso/account`);
      expect(await page.textContent('[data-user]')).toContain('lisi');
    }
  });

  it('a used sign-in link says so without naming the IdP, and "sign in again" gets the person in', async () => {
    const callback = await w.marketplaceCallback('zhangsan');
    await (await open('zh-CN')).goto(callback);
    const page = await open('zh-CN');
    const res = await page.goto(callback);
    expect(res!.status()).toBe(401);
    expect(await page.textContent('h1')).toBe('登录未能完成');
    const text = (await page.textContent('main'))!;
    expect(text).not.toContain(w.idp.url);
    expect(text).not.toContain('invalid_grant');
    await shot(page, 'refusal-code-used-zh');
    w.idp.loginAs = 'zhangsan';
    await page.click('a:has-text("重新登录")');
    expect(page.url()).toBe(`${ours()}/sso/account`);
  });

  it('text put into the callback address is never shown, only fixed words for the error code', async () => {
    const page = await open('zh-CN');
    const phishing = '账号已锁定，请致电 400-123-4567';
    await page.goto(`${ours()}/sso/callback?tenant=${TENANT}&error=access_denied&error_description=${encodeURIComponent(phishing)}`);
    expect(await page.textContent('h1')).toBe('登录已取消或被拒绝');
    expect(await page.textContent('body')).not.toContain('400-123-4567');
    await shot(page, 'refusal-idp-error-zh');
    await page.goto(`${ours()}/sso/callback?tenant=${TENANT}&error=${encodeURIComponent('call_400-123-4567')}`);
    expect(await page.textContent('h1')).toBe('登录未成功');
    expect(await page.textContent('body')).not.toContain('400-123-4567');
  });

  it('signing out from the account page ends the session here and at the IdP, then says so', async () => {
    const page = await signedIn('zhangsan');
    const logouts = w.idp.events.logouts;
    await Promise.all([page.waitForURL(`${ours()}/sso/signed-out`, { timeout: 5000 }), page.click('button:has-text("退出登录")')]);
    expect(await page.textContent('h1')).toBe('已退出登录');
    expect(w.idp.events.logouts).toBe(logouts + 1);
    expect(await sessionOf(page)).toMatchObject({ status: 401, body: { error: 'no_session' } });
    await shot(page, 'signed-out-zh');
  });

  it('a sign-out link on another site shows a confirmation, and the confirmation signs out', async () => {
    const page = await signedIn('lisi', 'en-US');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'koobridge_session')!.value;
    otherSite.html = `<!doctype html><a id="out" href="${ours()}/sso/logout">Sign out</a>`;
    await page.goto(otherSite.url);
    await page.click('#out');
    expect(page.url()).toBe(`${ours()}/sso/logout`);
    expect(await page.textContent('h1')).toBe('Sign out?');
    expect(await page.textContent('[data-user]')).toContain('lisi');
    await shot(page, 'logout-confirm-en');
    await Promise.all([page.waitForURL(`${ours()}/sso/signed-out`, { timeout: 5000 }), page.click('button:has-text("Sign out")')]);
    expect(await count(w.s, 'sso_session_ends', { cause: 'logged_out' })).toBeGreaterThan(0);
    const introspected = await fetch(`${w.s.url}/api/v1/sessions/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.s.rt.config.apiToken[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session: cookie }),
    });
    expect(await introspected.json()).toEqual({ active: false, reason: 'logged_out' });
  });

  it('a sign-out form another site submits is refused, and the person stays signed in', async () => {
    const page = await signedIn('lisi', 'en-US');
    otherSite.html = `<!doctype html><form method="post" action="${ours()}/sso/logout"><input name="token" value="forged"><button>go</button></form>`;
    await page.goto(otherSite.url);
    const [answer] = await Promise.all([page.waitForNavigation(), page.click('button')]);
    expect(answer!.status()).toBe(403);
    expect(await page.textContent('h1')).toBe('This request came from another site');
    expect((await sessionOf(page)).status).toBe(200);
  });

  it('an account switch asks first, in the browser\'s language', async () => {
    const page = await signedIn('zhangsan');
    await page.goto(await w.marketplaceCallback('lisi'));
    expect(await page.textContent('h1')).toBe('切换账号？');
    await shot(page, 'switch-zh');
    await Promise.all([page.waitForURL(`${ours()}/sso/account`, { timeout: 5000 }), page.click('button:has-text("切换账号")')]);
    expect(await page.textContent('[data-user]')).toContain('lisi');
  });

  it('after a freeze the account page says why the session ended', async () => {
    const page = await signedIn('zhangsan');
    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: w.instanceId, status: 'FREEZE' })).toMatchObject({ resultCode: '000000' });
    try {
      await page.reload();
      expect(await page.textContent('h1')).toBe('未登录');
      expect(await page.textContent('[data-ended]')).toBe('您企业的此应用订阅已被冻结。');
      expect(await page.textContent('main')).toContain('请联系您的企业管理员');
      expect(await sessionOf(page)).toMatchObject({ status: 401, body: { error: 'session_ended', reason: 'frozen' } });
      await shot(page, 'ended-frozen-zh');
    } finally {
      await w.s.basic({ activity: 'updateInstanceStatus', instanceId: w.instanceId, status: 'UNFREEZE' });
    }
  });
});
