import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kit from '../helpers/fixtures.js';
import { stores } from '../helpers/stores.js';
import { purgeSsoRows } from '../../src/sso/jobs.js';
import { MAX_PENDING_PER_TENANT } from '../../src/sso/loginStates.js';
import { APP_ORIGIN, TENANT, count, startWorld, type World } from './world.js';
import { json, type Browser } from './browser.js';

const SESSION = 'koobridge_session';
const LOGIN = 'koobridge_session_login';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(stores)('SSO login CSRF defences on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store);
    // A user whose directory name is markup, to see every page escape it.
    w.idp.accounts.set('zhaoliu', { userName: 'zhaoliu', name: 'x', tenant: TENANT });
    await w.sync('authSync', kit.authSync([kit.user('zhaoliu', { name: '<img src=x onerror=alert(1)>' })]));
  });
  afterAll(() => w.stop());

  const signedIn = async (userName: string) => {
    const { res, browser } = await w.marketplaceLogin(userName);
    expect(res.status).toBe(302);
    return browser;
  };
  const userOf = async (browser: Browser) => (await w.session(browser)).body?.user?.userName;
  /** The confirmation page a marketplace login for `userName` shows in `browser`, and its token. */
  const offer = async (browser: Browser, userName: string) => {
    const res = await browser.get(await w.marketplaceCallback(userName));
    expect(res.status).toBe(200);
    const page = await res.text();
    return { page, token: /name="token" value="([^"]+)"/.exec(page)![1]!, setCookie: browser.lastSetCookie };
  };
  const sameOrigin = () => ({ origin: new URL(w.s.rt.config.publicUrl).origin, 'sec-fetch-site': 'same-origin' });
  const answer = (browser: Browser, token: string, action: string, headers: Record<string, string> = sameOrigin()) =>
    browser.post('/sso/switch', { 'content-type': 'application/x-www-form-urlencoded', ...headers }, new URLSearchParams({ token, action }).toString());

  describe('app-initiated logins are bound to the browser that started them', () => {
    it('/sso/login sets a short-lived HttpOnly login cookie for /sso, whose hash the state carries', async () => {
      const browser = w.browser();
      expect((await browser.get(`/sso/login?tenant=${TENANT}`)).status).toBe(302);
      const line = browser.lastSetCookie.find((c) => c.startsWith(`${LOGIN}=`));
      expect(line).toMatch(new RegExp(`^${LOGIN}=[A-Za-z0-9_-]{43}; Path=/sso; Max-Age=600; HttpOnly; SameSite=Lax$`));
      expect(await count(w.s, 'sso_login_states', { binding_hash: sha256(browser.cookies.get(LOGIN)!) })).toBe(1);
    });

    it('a login link opened in another browser signs nobody in, says why, and is spent', async () => {
      const attacker = w.browser();
      for (const ownLoginUnderWay of [false, true]) {
        const victim = w.browser();
        if (ownLoginUnderWay) expect((await victim.get(`/sso/login?tenant=${TENANT}`)).status).toBe(302);
        const callback = await w.appCallback('lisi', undefined, attacker);
        const res = await victim.get(callback);
        expect(res.status).toBe(403);
        const page = await res.text();
        expect(page).toContain('Please finish signing in in the same browser');
        expect(victim.cookies.has(SESSION)).toBe(false);
        // Anonymous refusals are counted per source, minute and reason: one row for both rounds.
        const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', outcome: 'rejected' }).andWhere('result_msg', 'like', '% state_other_browser:%').first();
        expect(audit.result_msg).toMatch(/^KB-[0-9A-F]{8} state_other_browser: this login was started in another browser/);
        // Spent: not even the browser that started it can use it now.
        const again = await attacker.get(callback, { accept: 'application/json' });
        expect(await json(again)).toMatchObject({ error: 'invalid_state' });
        expect(attacker.cookies.has(SESSION)).toBe(false);
      }
    });

    it('several tabs log in at once with one login cookie, cleared with the last of them', async () => {
      const browser = w.browser();
      const first = await w.appCallback('zhangsan', `tenant=${TENANT}&returnTo=%2Fone`, browser);
      const binding = browser.cookies.get(LOGIN);
      const second = await w.appCallback('zhangsan', `tenant=${TENANT}&returnTo=%2Ftwo`, browser);
      expect(browser.cookies.get(LOGIN)).toBe(binding);

      const two = await browser.get(second);
      expect(two.headers.get('location')).toBe(`${APP_ORIGIN}/two`);
      expect(browser.cookies.get(LOGIN)).toBe(binding); // the other tab still needs it
      const one = await browser.get(first);
      expect(one.headers.get('location')).toBe(`${APP_ORIGIN}/one`);
      expect(browser.cookies.has(LOGIN)).toBe(false);
      expect(browser.lastSetCookie.find((c) => c.startsWith(`${LOGIN}=`))).toMatch(/Path=\/sso; Max-Age=0/);
      expect(await userOf(browser)).toBe('zhangsan');
    });
  });

  it('PKCE by default: a code from an app-initiated login cannot be redeemed by a state-less callback', async () => {
    const victim = w.browser();
    const callback = new URL(await w.appCallback('zhangsan', undefined, victim));
    const stolen = new URL('/sso/callback', callback);
    stolen.searchParams.set('code', callback.searchParams.get('code')!);
    stolen.searchParams.set('tenant', TENANT);

    const attacker = w.browser();
    const res = await attacker.get(stolen.href, { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ error: 'code_rejected', message: expect.stringContaining('invalid_grant') });
    expect(attacker.cookies.has(SESSION)).toBe(false);
    // The IdP checks the verifier before spending the code, so the rightful browser still gets in.
    expect((await victim.get(callback.href)).status).toBe(302);
    expect(await userOf(victim)).toBe('zhangsan');
  });

  describe('a marketplace login never silently replaces another user in this browser', () => {
    it('asks first, in English and Chinese, and keeps the current session until answered', async () => {
      const browser = await signedIn('zhangsan');
      const before = browser.cookies.get(SESSION);
      const { page, setCookie } = await offer(browser, 'lisi');
      expect(page).toMatch(/You are signed in as <b data-current>Name zhangsan \(zhangsan\)[^<]*<\/b>/);
      expect(page).toMatch(/Continue as <b data-next>Name lisi \(lisi\)[^<]*<\/b>/);
      expect(page).toContain(`<form method="post" action="${w.s.rt.config.publicUrl}/sso/switch"`);
      const inChinese = await browser.get(await w.marketplaceCallback('lisi'), { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
      expect(await inChinese.text()).toContain('您当前已登录为');
      expect(setCookie.some((c) => c.startsWith(`${SESSION}=`))).toBe(false);
      expect(browser.cookies.get(SESSION)).toBe(before);
      expect(await userOf(browser)).toBe('zhangsan');
    });

    it('continue: the new user is signed in, the old session ends, the browser lands on the application', async () => {
      const browser = await signedIn('zhangsan');
      const old = browser.cookies.get(SESSION)!;
      const { token } = await offer(browser, 'lisi');
      const res = await answer(browser, token, 'continue');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${APP_ORIGIN}/`);
      expect(browser.cookies.get(SESSION)).not.toBe(old);
      expect((await w.session(browser)).body.user).toMatchObject({ userName: 'lisi', name: 'Name lisi', role: 'user' });
      expect(await count(w.s, 'sso_sessions', { id_hash: sha256(old) })).toBe(0);
      // Single use.
      const again = await answer(browser, token, 'continue');
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('This confirmation has expired');
    });

    it('cancel: the current user stays signed in and the pending login is dropped', async () => {
      const browser = await signedIn('zhangsan');
      const lisiSessions = await count(w.s, 'sso_sessions', { user_name: 'lisi' });
      const { token } = await offer(browser, 'lisi');
      expect(await count(w.s, 'sso_session_switches', { token_hash: sha256(token) })).toBe(1);
      const res = await answer(browser, token, 'cancel');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${APP_ORIGIN}/`);
      expect(await userOf(browser)).toBe('zhangsan');
      expect(await count(w.s, 'sso_session_switches', { token_hash: sha256(token) })).toBe(0);
      expect(await count(w.s, 'sso_sessions', { user_name: 'lisi' })).toBe(lisiSessions);
    });

    it('the confirmation works only in the browser whose session it would replace', async () => {
      const attacker = await signedIn('lisi');
      const { token } = await offer(attacker, 'zhangsan');
      const victim = await signedIn('zhangsan');
      const res = await answer(victim, token, 'continue');
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This confirmation has expired');
      expect(await userOf(victim)).toBe('zhangsan');
      expect(await userOf(attacker)).toBe('lisi');
    });

    it('JSON callers get 409 session_switch_required naming both users', async () => {
      const browser = await signedIn('zhangsan');
      const res = await browser.get(await w.marketplaceCallback('lisi'), { accept: 'application/json' });
      expect(res.status).toBe(409);
      const body = await json(res);
      expect(body).toMatchObject({
        error: 'session_switch_required',
        current: { userName: 'zhangsan', name: 'Name zhangsan', tenantId: TENANT },
        next: { userName: 'lisi', name: 'Name lisi', tenantId: TENANT },
      });
      expect((await answer(browser, body.token, 'continue')).status).toBe(303);
      expect(await userOf(browser)).toBe('lisi');
    });

    it('escapes every value it shows', async () => {
      const browser = await signedIn('zhangsan');
      const { page } = await offer(browser, 'zhaoliu');
      expect(page).not.toContain('<img');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; (zhaoliu)');
    });

    it('the same user signing in again just gets a new session, and the old one ends', async () => {
      const browser = await signedIn('zhangsan');
      const old = browser.cookies.get(SESSION)!;
      expect((await w.marketplaceLogin('zhangsan', browser)).res.status).toBe(302);
      expect(browser.cookies.get(SESSION)).not.toBe(old);
      expect(await userOf(browser)).toBe('zhangsan');
      expect(await count(w.s, 'sso_sessions', { id_hash: sha256(old) })).toBe(0);
    });

    it('an unanswered confirmation lapses: the sso-purge job removes it and its token is refused', async () => {
      const browser = await signedIn('zhangsan');
      const { token } = await offer(browser, 'lisi');
      await w.s.rt.db('sso_session_switches').where({ token_hash: sha256(token) }).update({ expires_at: Date.now() - 1 });
      const purged = await purgeSsoRows(w.s.rt);
      expect(purged.sessionSwitches).toBeGreaterThanOrEqual(1);
      expect((await answer(browser, token, 'continue')).status).toBe(400);
      expect(await userOf(browser)).toBe('zhangsan');
    });
  });

  describe('logout and the account switch refuse requests from other sites', () => {
    const foreign: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { origin: APP_ORIGIN, 'sec-fetch-site': 'cross-site' }];

    it('a cross-site logout is refused with 403 and the user stays signed in', async () => {
      const browser = await signedIn('lisi');
      for (const headers of foreign) {
        const res = await browser.post('/sso/logout', headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(await res.text()).toContain('This request came from another site');
        expect(await userOf(browser)).toBe('lisi');
      }
      const asJson = await browser.post('/sso/logout', { origin: 'https://evil.example', accept: 'application/json' });
      expect(await json(asJson)).toMatchObject({ error: 'cross_site_request' });
      expect(await userOf(browser)).toBe('lisi');
    });

    it('a logout from the application or from our own pages goes through', async () => {
      for (const headers of [{ origin: APP_ORIGIN, 'sec-fetch-site': 'same-site' }, sameOrigin(), { 'sec-fetch-site': 'none' }]) {
        const browser = await signedIn('lisi');
        const res = await browser.post('/sso/logout', headers);
        expect(res.status, JSON.stringify(headers)).toBe(303);
        expect((await w.session(browser)).status).toBe(401);
      }
    });

    it('a cross-site account switch is refused and the confirmation stays usable', async () => {
      const browser = await signedIn('zhangsan');
      const { token } = await offer(browser, 'lisi');
      for (const headers of foreign) {
        const res = await answer(browser, token, 'continue', headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
      }
      expect(await userOf(browser)).toBe('zhangsan');
      expect((await answer(browser, token, 'continue')).status).toBe(303);
      expect(await userOf(browser)).toBe('lisi');
    });
  });

  it(`a tenant holds at most ${MAX_PENDING_PER_TENANT} pending logins: the oldest give way, the newest still complete`, async () => {
    const browser = w.browser();
    const oldest = await w.appCallback('lisi', undefined, browser);
    for (let i = 0; i < 1200; i += 25) {
      const starts = await Promise.all(Array.from({ length: 25 }, () => browser.get(`/sso/login?tenant=${TENANT}`)));
      expect(starts.map((r) => r.status)).toEqual(Array(25).fill(302));
    }
    const newest = await w.appCallback('lisi', undefined, browser);
    expect(await count(w.s, 'sso_login_states', { tenant_id: TENANT })).toBeLessThanOrEqual(MAX_PENDING_PER_TENANT);

    expect(await json(await browser.get(oldest, { accept: 'application/json' }))).toMatchObject({ error: 'invalid_state' });
    expect((await browser.get(newest)).status).toBe(302);
    expect(await userOf(browser)).toBe('lisi');
  });
});
