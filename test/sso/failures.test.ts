import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { renewDueSessions } from '../../src/sso/jobs.js';
import * as kit from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { stores } from '../helpers/stores.js';
import { APP, INSTANCE, TENANT, count, startWorld, type World } from './world.js';
import { json } from './browser.js';

const OTHER_APP = '9f1c2d3e-0000-4000-8000-00000000a2a2';

describe.each(stores)('SSO when things go wrong on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { SSO_HTTP_TIMEOUT_SECONDS: '1' } });
  });
  afterAll(() => w.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  const jsonOf = async (res: Response) => ({ status: res.status, ...(await json(res)) });

  it('token endpoint down: a clear 502, no session, an audit record', async () => {
    const callback = await w.marketplaceCallback('lisi');
    const sessions = await count(w.s, 'sso_sessions');
    w.idp.tokenDown = true;
    try {
      const browser = w.browser();
      const res = await browser.get(callback);
      expect(res.status).toBe(502);
      const page = await res.text();
      expect(page).toContain('The sign-in service is not answering');
      expect(page).not.toContain(w.idp.url);
      expect(browser.cookies.size).toBe(0);
    } finally {
      w.idp.tokenDown = false;
    }
    expect(await count(w.s, 'sso_sessions')).toBe(sessions);
    const audit = await w.s.rt.db('audit_log').where({ channel: 'sso', outcome: 'rejected' }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ call_name: 'login', result_code: '502', tenant_id: TENANT, instance_id: INSTANCE });
    expect(audit.result_msg).toMatch(/token endpoint at http:\/\/127\.0\.0\.1:\d+: could not be reached .*no session was created, try again/);
  });

  it('a hung token endpoint: checks answer at once from the session as it is, the IdP is left alone for a pause, then renewal resumes', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const refreshes = w.idp.events.refreshes;
    // Past the access token's 2 hours: the next check must renew.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 2 * 3_600_000 + 60_000);
    w.idp.tokenHung = true;
    try {
      let started = Date.now();
      const first = await w.session(browser);
      // At most the wait (here SSO_HTTP_TIMEOUT_SECONDS, 1 s), not the IdP's silence (bounds loose for a busy machine).
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(first).toMatchObject({ status: 200, body: { renewalPending: true, user: { userName: 'lisi' } } });
      await new Promise((r) => setTimeout(r, 300)); // the renewal times out at 1 s: the circuit opens
      const asked = w.idp.events.tokenRequests;
      started = Date.now();
      for (let i = 0; i < 5; i++) expect((await w.session(browser)).body).toMatchObject({ renewalPending: true });
      // Each waiting out the timeout again would take 5 s.
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(w.idp.events.tokenRequests).toBe(asked);
      expect((await renewDueSessions(w.s.rt)).paused).toBeGreaterThanOrEqual(1);
      expect(w.idp.events.tokenRequests).toBe(asked);
    } finally {
      w.idp.tokenHung = false;
    }
    // SSO_IDP_BACKOFF_SECONDS (15 s) later the IdP is asked again, and answers.
    vi.setSystemTime(Date.now() + 16_000);
    const after = await w.session(browser);
    expect(after.status).toBe(200);
    expect(after.body.renewalPending).toBeUndefined();
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
  });

  it('token endpoint slower than SSO_HTTP_TIMEOUT_SECONDS: a clear 502 after the timeout, no session', async () => {
    const callback = await w.marketplaceCallback('lisi');
    const sessions = await count(w.s, 'sso_sessions');
    w.idp.tokenDelayMs = 2500;
    try {
      const started = Date.now();
      const res = await w.browser().get(callback, { accept: 'application/json' });
      expect(Date.now() - started).toBeLessThan(2400);
      expect(await jsonOf(res)).toMatchObject({ status: 502, error: 'idp_unavailable', message: expect.stringContaining('no answer within 1 s') });
    } finally {
      w.idp.tokenDelayMs = 0;
    }
    await new Promise((r) => setTimeout(r, 1600)); // the IdP finishes its late answer; nothing comes of it
    expect(await count(w.s, 'sso_sessions')).toBe(sessions);
  });

  it('an error sent back by the IdP instead of a code is shown, not exchanged', async () => {
    const res = await w.browser().get(`/sso/callback?tenant=${TENANT}&error=access_denied&error_description=${encodeURIComponent('user cancelled')}`, { accept: 'application/json' });
    expect(await jsonOf(res)).toMatchObject({ status: 401, error: 'idp_access_denied', message: 'the identity provider answered "access_denied" ("user cancelled")' });
  });

  it('a frozen or released instance (its row in instances) blocks login before the code is exchanged', async () => {
    for (const status of ['frozen', 'released'] as const) {
      await w.s.rt.db('instances').insert({ instance_id: INSTANCE, status, test_flag: 0, created_at: Date.now(), updated_at: Date.now() });
      try {
        const exchanges = w.idp.events.codeExchanges;
        const res = await w.browser().get(await w.marketplaceCallback('lisi'), { accept: 'application/json' });
        expect(await jsonOf(res)).toMatchObject({ status: 403, error: `instance_${status}` });
        expect(w.idp.events.codeExchanges).toBe(exchanges);
      } finally {
        await w.s.rt.db('instances').where({ instance_id: INSTANCE }).delete();
      }
    }
    expect((await w.marketplaceLogin('lisi')).res.status).toBe(302);
  });

  it('a tenant with several synced apps: the callback refuses to guess; /sso/login?appId picks one', async () => {
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret('another-secret'), { appId: OTHER_APP, clientId: 'other-client' }));
    try {
      const res = await w.browser().get(await w.marketplaceCallback('lisi'), { accept: 'application/json' });
      const body = await jsonOf(res);
      expect(body).toMatchObject({ status: 409, error: 'app_ambiguous' });
      expect(body.message).toContain(`app ${APP} of instance ${INSTANCE}`);
      expect(body.message).toContain(`app ${OTHER_APP} of instance ${INSTANCE}`);
      expect(body.message).toContain('set SSO_APP_ID');

      const { res: viaApp, browser } = await w.appLogin('lisi', `tenant=${TENANT}&appId=${APP}`);
      expect(viaApp.status).toBe(302);
      expect((await w.session(browser)).body.user.appId).toBe(APP);
    } finally {
      await w.sync('applicationSync', kit.applicationSync(encryptClientSecret('another-secret'), { appId: OTHER_APP, clientId: 'other-client', flag: 0 }));
    }
  });
});

describe.each(stores)('SSO with SSO_APP_ID set on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { SSO_APP_ID: APP } });
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret('another-secret'), { appId: OTHER_APP, clientId: 'other-client' }));
  });
  afterAll(() => w.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the marketplace callback uses the configured app among several', async () => {
    const { res, browser } = await w.marketplaceLogin('zhangsan');
    expect(res.status).toBe(302);
    expect((await w.session(browser)).body.user.appId).toBe(APP);
  });
});

describe.each(stores)('SSO with an http:// IdP and SSO_ALLOW_HTTP unset on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { SSO_ALLOW_HTTP: 'false' } });
  });
  afterAll(() => w.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses to talk to the IdP over plain http and says how to allow it', async () => {
    const res = await w.browser().get(`/sso/login?tenant=${TENANT}`, { accept: 'application/json' });
    const body = await json(res);
    expect(res.status).toBe(502);
    expect(body).toMatchObject({ error: 'insecure_idp' });
    expect(body.message).toContain('SSO_ALLOW_HTTP=true');
    const exchanges = w.idp.events.codeExchanges;
    expect((await w.browser().get(await w.marketplaceCallback('lisi'))).status).toBe(502);
    expect(w.idp.events.codeExchanges).toBe(exchanges);
  });
});
