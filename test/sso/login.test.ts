import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { APP, APP_ORIGIN, INSTANCE, TENANT, count, startWorld, type World } from './world.js';
import { json } from './browser.js';

describe.each(stores)('SSO login against a loopback OAuth2 server on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store);
  });
  afterAll(() => w.stop());

  it('marketplace-initiated: ?code&tenant signs the user in, sets a safe cookie and lands on the application', async () => {
    const { res, browser } = await w.marketplaceLogin('zhangsan');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    const cookie = browser.lastSetCookie.find((c) => c.startsWith('koobridge_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/); // NODE_ENV=test serves plain http
    const id = browser.cookies.get('koobridge_session')!;
    expect(id.length).toBeGreaterThanOrEqual(43);

    const session = await w.session(browser);
    expect(session.status).toBe(200);
    expect(session.body.user).toEqual({ userName: 'zhangsan', name: 'Name zhangsan', role: 'admin', orgCode: 'D01', tenantId: TENANT, instanceId: INSTANCE, appId: APP });
    expect(Date.parse(session.body.expiresAt)).toBeGreaterThan(Date.now());

    // Stored hashed, tokens sealed: neither the id nor a token appears in clear.
    const row = await w.s.rt.db('sso_sessions').where({ user_name: 'zhangsan' }).first();
    expect(row.id_hash).not.toContain(id);
    expect(row.access_token).toMatch(/^v2\.[0-9a-f]{8}\./);
    expect(row.refresh_token).toMatch(/^v2\.[0-9a-f]{8}\./);
    expect(Number(row.access_expires_at) - Date.now()).toBeGreaterThan(7100_000);
    const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', call_name: 'login', outcome: 'applied' }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ tenant_id: TENANT, instance_id: INSTANCE, result_code: '200' });
  });

  it('app-initiated: /sso/login?tenant&returnTo goes to the tenant authorize endpoint with a state and comes back to returnTo', async () => {
    const browser = w.browser();
    const start = await browser.get(`/sso/login?tenant=${TENANT}&returnTo=${encodeURIComponent('/reports?year=2026')}`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${w.idp.url}/api/v1/oauth2/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ client_id: w.client.clientId, response_type: 'code', redirect_uri: `${w.s.url}/sso/callback`, scope: 'get_user_info' });
    expect(authorize.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);
    // SSO_PKCE defaults to on: an IdP without PKCE ignores the parameter (RFC 6749 §3.1).
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    w.idp.loginAs = 'lisi';
    const back = await w.idp.follow(authorize.href);
    const res = await browser.get(back.href);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${APP_ORIGIN}/reports?year=2026`);
    expect((await w.session(browser)).body.user).toMatchObject({ userName: 'lisi', role: 'user' });

    // The state is single-use: the same callback again is refused and creates nothing.
    const sessions = await count(w.s, 'sso_sessions');
    const again = await w.browser().get(back.href, { accept: 'application/json' });
    expect(again.status).toBe(400);
    expect(await json(again)).toMatchObject({ error: 'invalid_state' });
    expect(await count(w.s, 'sso_sessions')).toBe(sessions);
  });

  it('app-initiated by instanceId alone (the frontEndUrl queryInstance hands out) finds the tenant and app', async () => {
    const { res, browser } = await w.appLogin('zhangsan', `instanceId=${INSTANCE}`);
    expect(res.status).toBe(302);
    expect((await w.session(browser)).body.user).toMatchObject({ userName: 'zhangsan', tenantId: TENANT, instanceId: INSTANCE, appId: APP });
  });

  it('a tampered state is refused with a page naming the problem, an audit record and no session', async () => {
    const browser = w.browser();
    const start = await browser.get(`/sso/login?tenant=${TENANT}`);
    w.idp.loginAs = 'lisi';
    const back = await w.idp.follow(start.headers.get('location')!);
    back.searchParams.set('state', back.searchParams.get('state')!.slice(0, -2) + 'xx');
    const sessions = await count(w.s, 'sso_sessions');
    const res = await browser.get(back.href);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const page = await res.text();
    expect(page).toContain('This sign-in link has expired');
    expect(page).toContain(`href="${APP_ORIGIN}/"`);
    const reference = /data-reference>(KB-[0-9A-F]{8})</.exec(page)![1]!;
    expect(await count(w.s, 'sso_sessions')).toBe(sessions);
    expect(browser.cookies.has('koobridge_session')).toBe(false);
    const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', outcome: 'rejected' }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ call_name: 'login', result_code: '400' });
    expect(audit.result_msg).toBe(`${reference} invalid_state: state: unknown, expired or already used; start the login again`);
  });

  it('a reused authorization code is refused (the IdP says invalid_grant) and creates no second session', async () => {
    const callback = await w.marketplaceCallback('lisi');
    expect((await w.browser().get(callback)).status).toBe(302);
    const sessions = await count(w.s, 'sso_sessions');
    const again = await w.browser().get(callback, { accept: 'application/json' });
    expect(again.status).toBe(401);
    const body = await json(again);
    expect(body.error).toBe('code_rejected');
    expect(body.message).toMatch(/invalid_grant/);
    expect(await count(w.s, 'sso_sessions')).toBe(sessions);
  });

  it('refuses a user whose IdP account belongs to another tenant', async () => {
    w.idp.accounts.set('lisi', { userName: 'lisi', name: '李四', tenant: 'some-other-tenant' });
    try {
      const { res } = await w.marketplaceLogin('lisi');
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This account belongs to another enterprise');
      const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', outcome: 'rejected' }).orderBy('id', 'desc').first();
      expect(audit.result_msg).toContain('the identity provider signed in lisi of tenant some-other-tenant, but this login is for tenant ' + TENANT);
    } finally {
      w.idp.accounts.set('lisi', { userName: 'lisi', name: '李四', tenant: TENANT });
    }
  });

  it('refuses a callback whose tenant differs from the tenant its state was issued for', async () => {
    const browser = w.browser();
    const start = await browser.get(`/sso/login?tenant=${TENANT}`);
    w.idp.loginAs = 'lisi';
    const back = await w.idp.follow(start.headers.get('location')!);
    back.searchParams.set('tenant', 'another-tenant');
    const res = await browser.get(back.href, { accept: 'application/json' });
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ error: 'tenant_mismatch' });
  });

  it('refuses a user the enterprise never authorized for the app', async () => {
    const { res } = await w.marketplaceLogin('wangwu');
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain('Your account may not use this application');
    expect(page).not.toContain('authSync');
    const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', outcome: 'rejected' }).orderBy('id', 'desc').first();
    expect(audit.result_msg).toContain('user wangwu is not authorized for app');
    expect(JSON.parse(audit.detail)).toMatchObject({ reason: 'user_not_authorized', userName: 'wangwu', appId: APP });
  });

  it('refuses a returnTo outside the application origin before anything is sent to the IdP', async () => {
    for (const returnTo of ['https://evil.example/x', '//evil.example/x', 'javascript:alert(1)']) {
      const res = await w.browser().get(`/sso/login?tenant=${TENANT}&returnTo=${encodeURIComponent(returnTo)}`, { accept: 'application/json' });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ error: 'return_to_refused' });
    }
  });

  it('refuses a callback without a tenant or code, naming what is missing', async () => {
    const noTenant = await w.browser().get('/sso/callback?code=abc', { accept: 'application/json' });
    expect(noTenant.status).toBe(400);
    expect((await json(noTenant)).message).toMatch(/^tenant: missing/);
    const noCode = await w.browser().get(`/sso/callback?tenant=${TENANT}`, { accept: 'application/json' });
    expect((await json(noCode)).message).toMatch(/^code: missing/);
    const unknown = await w.browser().get('/sso/callback?code=abc&tenant=nobody', { accept: 'application/json' });
    expect(unknown.status).toBe(403);
    expect(await json(unknown)).toMatchObject({ error: 'tenant_not_synced' });
  });

  it('GET /sso/session answers 401 without a cookie or with an unknown one', async () => {
    const browser = w.browser();
    expect((await w.session(browser)).status).toBe(401);
    browser.cookies.set('koobridge_session', 'made-up-session-id');
    expect((await w.session(browser)).body).toMatchObject({ error: 'no_session' });
  });

  it('logout ends the session and sends the browser through the IdP logout back to the landing page', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const loggedOut = await w.sessionsEnded('logout');
    const res = await browser.post('/sso/logout');
    expect(res.status).toBe(303);
    expect(await w.sessionsEnded('logout')).toBe(loggedOut + 1);
    const logout = new URL(res.headers.get('location')!);
    expect(logout.origin + logout.pathname).toBe(`${w.idp.url}/api/v1/logout`);
    expect(logout.searchParams.get('redirect_url')).toBe(`${APP_ORIGIN}/`);
    expect(browser.cookies.has('koobridge_session')).toBe(false);
    expect(browser.lastSetCookie[0]).toMatch(/Max-Age=0/);

    // The old cookie value is dead too, not just forgotten by the browser.
    expect((await w.s.rt.db('audit_log').where({ channel: 'sso', call_name: 'logout' }).first())?.tenant_id).toBe(TENANT);
    const asJson = await w.browser().post('/sso/logout', { accept: 'application/json' });
    expect(await json(asJson)).toEqual({ logoutUrl: `${APP_ORIGIN}/` });
  });

  it('the account page names the person and links to the application once its address is configured', async () => {
    const { browser } = await w.marketplaceLogin('zhangsan');
    const page = await (await browser.get('/sso/account')).text();
    expect(page).toContain('<b data-user>Name zhangsan (zhangsan)</b>');
    expect(page).toContain(`<a class="button" href="${APP_ORIGIN}/">Go to the application</a>`);
    expect(page).toMatch(/<form method="post" action="[^"]+\/sso\/logout">\s*<input type="hidden" name="token" value="[0-9a-f]{64}">/);
    const signedOut = await w.browser().get('/sso/account');
    expect(signedOut.status).toBe(200);
    expect(await signedOut.text()).toContain('This browser is not signed in.');
  });

  it('pages speak Chinese to a browser that prefers any zh*, English otherwise', async () => {
    const cases: [string | undefined, string][] = [
      ['zh-CN', 'zh-CN'],
      ['zh-TW,en;q=0.5', 'zh-CN'],
      ['zh', 'zh-CN'],
      ['en-US,zh;q=0.8', 'en'],
      ['fr-FR', 'en'],
      [undefined, 'en'],
    ];
    for (const [acceptLanguage, lang] of cases) {
      const res = await w.browser().get('/sso/signed-out', acceptLanguage ? { 'accept-language': acceptLanguage } : {});
      expect(res.headers.get('content-language'), acceptLanguage).toBe(lang);
      expect(res.headers.get('vary')).toMatch(/accept-language/i);
      expect(await res.text()).toContain(lang === 'en' ? 'You have signed out.' : '您已退出登录。');
    }
  });

  it('signing out through the page: GET asks, the form carries a token of this session, a stale or forged token changes nothing', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const id = browser.cookies.get('koobridge_session')!;
    const confirm = await browser.get('/sso/logout');
    expect(confirm.status).toBe(200);
    const token = /name="token" value="([0-9a-f]{64})"/.exec(await confirm.text())![1]!;
    const form = (t: string) =>
      browser.post('/sso/logout', { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(w.s.rt.config.publicUrl).origin }, new URLSearchParams({ token: t }).toString());

    const forged = await form('0'.repeat(64));
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('This sign-out page has expired');
    expect((await w.session(browser)).status).toBe(200);

    const done = await form(token);
    // On to the IdP's logout by the page itself: the form's own policy would block a redirect there.
    expect(done.status).toBe(200);
    const page = await done.text();
    expect(page).toMatch(new RegExp(`<meta http-equiv="refresh" content="0;url=${w.idp.url}/api/v1/logout\\?redirect_url=`));
    expect(browser.cookies.has('koobridge_session')).toBe(false);
    // Without a session the same address just says so.
    expect(await (await browser.get('/sso/logout')).text()).toContain('You have signed out.');
    // A browser that kept the old cookie is told why it is no longer signed in.
    browser.cookies.set('koobridge_session', id);
    expect(await w.session(browser)).toMatchObject({ status: 401, body: { error: 'session_ended', reason: 'logged_out' } });
  });

  it('introspection tells a backend whether a session id is active, with the user', async () => {
    const { browser } = await w.marketplaceLogin('zhangsan');
    const id = browser.cookies.get('koobridge_session')!;
    // Through s.api, so each answer is checked against /openapi.json too.
    const introspect = (session: unknown, token?: string) => w.s.api('/api/v1/sessions/introspect', token, 'POST', { session });
    const active = await introspect(id);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, sessionId: expect.stringMatching(/^ses_[0-9a-f]{32}$/), user: { userName: 'zhangsan', role: 'admin', tenantId: TENANT } });
    expect(active.body.exp).toBe(Math.floor(Date.parse(active.body.expiresAt) / 1000));

    expect((await introspect(id, 'wrong-token-wrong-token-wrong')).status).toBe(401);
    const bad = await introspect(42);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^session: /);

    await browser.post('/sso/logout');
    expect((await introspect(id)).body).toEqual({ active: false, reason: 'logged_out' });
    expect((await introspect('never-issued')).body).toEqual({ active: false });
  });
});

describe.each(stores)('SSO login with PKCE on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { SSO_PKCE: 'true' } });
  });
  afterAll(() => w.stop());

  it('sends an S256 challenge and proves it with the verifier at the token endpoint', async () => {
    const browser = w.browser();
    const start = await browser.get(`/sso/login?tenant=${TENANT}`);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    w.idp.loginAs = 'zhangsan';
    const res = await browser.get((await w.idp.follow(authorize.href)).href);
    expect(res.status).toBe(302);
    expect((await w.session(browser)).status).toBe(200);
    const row = await w.s.rt.db('sso_login_states').count({ n: '*' });
    expect(Number(row[0]!.n)).toBe(0); // consumed
  });
});

describe.each(stores)('SSO cookie in production on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { NODE_ENV: 'production', PUBLIC_URL: 'https://bridge.example.test' } });
  });
  afterAll(() => w.stop());

  it('marks the session cookie Secure outside development and test', async () => {
    const { res, browser } = await w.marketplaceLogin('zhangsan');
    expect(res.status).toBe(302);
    expect(browser.lastSetCookie.find((c) => c.startsWith('koobridge_session='))).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
  });
});
