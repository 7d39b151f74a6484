import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as kit from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { stores } from '../helpers/stores.js';
import { eventBounds, type DirectoryEvent } from '../../src/store/events.js';
import { openRefreshToken, sha256 } from '../../src/sso/sessions.js';
import { APP, CLIENT_ID, CLIENT_SECRET, SHORT_REFRESH_TOKENS, TENANT, advance, startWorld, worldFor, type World } from '../sso/world.js';
import type { Browser } from '../sso/browser.js';

const HOUR = 3_600_000;

/** A signed-in browser, what its session is named by, and every secret of it no event may hold. */
interface SignedIn {
  browser: Browser;
  sessionId: string;
  /** The SHA-256 of the cookie value, as the session is stored. */
  idHash: string;
  secrets: string[];
}

/** Browsers signed in by the current test, signed out after it so each test sees only its own sessions end. */
const signedInBrowsers: Browser[] = [];

async function signIn(w: World, userName: string): Promise<SignedIn> {
  const { res, browser } = await w.marketplaceLogin(userName);
  signedInBrowsers.push(browser);
  expect(res.status, await res.clone().text()).toBe(302);
  const session = await w.session(browser);
  expect(session.status).toBe(200);
  const cookie = browser.cookies.get(w.s.rt.config.ssoCookieName)!;
  const idHash = sha256(cookie);
  const row = await w.s.rt.db('sso_sessions').where('id_hash', idHash).first();
  const secrets = [...browser.cookies.values(), idHash, w.s.rt.box.open(row.access_token, `ssoSession:${idHash}:access`)];
  if (row.refresh_token) secrets.push(openRefreshToken(w.s.rt.box, idHash, row.refresh_token));
  return { browser, sessionId: session.body.sessionId, idHash, secrets };
}

const cursor = async (w: World) => (await eventBounds(w.s.rt.db)).last;

async function eventsSince(w: World, after: number, types = 'session.revoked') {
  const { status, body } = await w.s.api(`/api/v1/events?after=${after}&limit=1000&types=${types}`);
  expect(status).toBe(200);
  return body.data as DirectoryEvent[];
}

const revoked = (w: World, who: SignedIn, userName: string, reason: string) =>
  expect.objectContaining({
    type: 'session.revoked',
    instanceId: w.instanceId,
    tenantId: TENANT,
    testFlag: false,
    sourceTime: null,
    data: { sessionId: who.sessionId, instanceId: w.instanceId, tenantId: TENANT, appId: APP, userName, reason, endedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
  });

/** Not one of these sessions' cookie values, id hashes or tokens is in any stored event. */
async function noSecretIn(w: World, ...signedIn: SignedIn[]) {
  const stored = JSON.stringify(await w.s.rt.db('events').select('*'));
  for (const secret of signedIn.flatMap((s) => s.secrets)) expect(stored).not.toContain(secret);
}

describe.each(stores)('session.revoked events on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { newInstance: true });
  });
  afterAll(() => w.stop());
  afterEach(async () => {
    vi.useRealTimers();
    for (const browser of signedInBrowsers.splice(0)) await browser.post('/sso/logout');
  });

  const authSync = (users: unknown[], o: Record<string, unknown> = {}) => w.sync('authSync', kit.authSync(users, { instanceId: w.instanceId, ...o }));
  const syncApp = (o: Record<string, unknown> = {}) => w.sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { instanceId: w.instanceId, clientId: CLIENT_ID, ...o }));

  it('GET /sso/session names the session by a public id from which no cookie can be made', async () => {
    const lisi = await signIn(w, 'lisi');
    expect(lisi.sessionId).toMatch(/^ses_[0-9a-f]{32}$/);
    expect(lisi.secrets).not.toContain(lisi.sessionId);
    const name = w.s.rt.config.ssoCookieName;
    for (const forged of [lisi.sessionId, lisi.sessionId.slice(4), lisi.idHash]) {
      const browser = w.browser();
      browser.cookies.set(name, forged);
      expect((await w.session(browser)).status, forged).toBe(401);
    }
    expect((await w.session(lisi.browser)).status).toBe(200);
  });

  it('authSync flag 3 (authorization cancelled): one event for that user\'s session, reason deauthorized; other sessions none', async () => {
    const lisi = await signIn(w, 'lisi');
    const zhangsan = await signIn(w, 'zhangsan');
    const start = await cursor(w);
    await authSync([kit.user('lisi')], { flag: 3 });
    expect(await eventsSince(w, start)).toEqual([revoked(w, lisi, 'lisi', 'deauthorized')]);
    expect((await w.session(zhangsan.browser)).status).toBe(200);
    // Nothing left to end: the same cancellation again emits none.
    const after = await cursor(w);
    await authSync([kit.user('lisi')], { flag: 3, currentSyncTime: kit.later() });
    expect(await eventsSince(w, after)).toEqual([]);
    await noSecretIn(w, lisi, zhangsan);
    await authSync([kit.user('lisi')], { flag: 1 });
  });

  it('authSync with enable "false": reason deauthorized', async () => {
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    await authSync([kit.user('lisi', { enable: 'false' })], { flag: 2 });
    expect(await eventsSince(w, start)).toEqual([revoked(w, lisi, 'lisi', 'deauthorized')]);
    await noSecretIn(w, lisi);
    await authSync([kit.user('lisi')], { flag: 2 });
  });

  it('authSync flag 0 (user deleted): reason deleted, one event per session of the user', async () => {
    const first = await signIn(w, 'lisi');
    const second = await signIn(w, 'lisi');
    const start = await cursor(w);
    await authSync([kit.user('lisi')], { flag: 0 });
    const events = await eventsSince(w, start);
    expect(events).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining([revoked(w, first, 'lisi', 'deleted'), revoked(w, second, 'lisi', 'deleted')]));
    await noSecretIn(w, first, second);
    await authSync([kit.user('lisi')], { flag: 1 });
  });

  it('applicationSync flag 0 (app deleted): reason deleted', async () => {
    const zhangsan = await signIn(w, 'zhangsan');
    const start = await cursor(w);
    await syncApp({ flag: 0 });
    expect(await eventsSince(w, start)).toEqual([revoked(w, zhangsan, 'zhangsan', 'deleted')]);
    await noSecretIn(w, zhangsan);
    await syncApp();
  });

  it('tenantSync flag 0 (tenant deleted): reason deleted for each of its sessions', async () => {
    const zhangsan = await signIn(w, 'zhangsan');
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    await w.sync('tenantSync', kit.tenantSync({ instanceId: w.instanceId, domainName: w.idp.url, flag: 0 }));
    const events = await eventsSince(w, start);
    expect(events).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining([revoked(w, zhangsan, 'zhangsan', 'deleted'), revoked(w, lisi, 'lisi', 'deleted')]));
    await noSecretIn(w, zhangsan, lisi);
    // The tenant added again: only what is synced after that counts.
    await w.sync('tenantSync', kit.tenantSync({ instanceId: w.instanceId, domainName: w.idp.url }));
    await syncApp();
    await authSync([kit.user('zhangsan', { role: 'admin' }), kit.user('lisi')]);
  });

  it('signing out: reason logout', async () => {
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    expect((await lisi.browser.post('/sso/logout')).status).toBe(303);
    expect(await eventsSince(w, start)).toEqual([revoked(w, lisi, 'lisi', 'logout')]);
    await noSecretIn(w, lisi);
  });

  it('signing in as someone else in the same browser (the switch confirmed) ends the earlier session: reason logout', async () => {
    const zhangsan = await signIn(w, 'zhangsan');
    const offer = await zhangsan.browser.get(await w.marketplaceCallback('lisi'));
    expect(offer.status).toBe(200);
    const token = /name="token" value="([^"]+)"/.exec(await offer.text())![1]!;
    const start = await cursor(w);
    const form = new URLSearchParams({ token, action: 'continue' }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(w.s.rt.config.publicUrl).origin, 'sec-fetch-site': 'same-origin' };
    expect((await zhangsan.browser.post('/sso/switch', headers, form)).status).toBe(303);
    expect((await w.session(zhangsan.browser)).body.user.userName).toBe('lisi');
    expect(await eventsSince(w, start)).toEqual([revoked(w, zhangsan, 'zhangsan', 'logout')]);
    await noSecretIn(w, zhangsan);
  });

  it('FREEZE: instance.frozen, then reason frozen for each session of the instance, in the same commit', async () => {
    const zhangsan = await signIn(w, 'zhangsan');
    const start = await cursor(w);
    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: w.instanceId, status: 'FREEZE' })).toMatchObject({ resultCode: '000000' });
    const events = await eventsSince(w, start, 'session.revoked,instance.frozen');
    expect(events).toEqual([expect.objectContaining({ type: 'instance.frozen' }), revoked(w, zhangsan, 'zhangsan', 'frozen')]);
    expect(new Set(events.map((e) => e.occurredAt)).size).toBe(1);
    await noSecretIn(w, zhangsan);
    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: w.instanceId, status: 'UNFREEZE' })).toMatchObject({ resultCode: '000000' });
  });

  it('a session that times out by itself (idle) is not revoked: no event', async () => {
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    advance(8 * HOUR + 60_000);
    expect(await w.session(lisi.browser)).toMatchObject({ status: 401, body: { reason: 'expired' } });
    expect(await eventsSince(w, start)).toEqual([]);
  });

  it('releaseInstance: reason released for every session of the instance', async () => {
    const zhangsan = await signIn(w, 'zhangsan');
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    expect(await w.s.basic({ activity: 'releaseInstance', instanceId: w.instanceId })).toMatchObject({ resultCode: '000000' });
    const events = await eventsSince(w, start);
    expect(events).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining([revoked(w, zhangsan, 'zhangsan', 'released'), revoked(w, lisi, 'lisi', 'released')]));
    await noSecretIn(w, zhangsan, lisi);
  });
});

describe.each(stores)('session.revoked on a failed renewal on %s', (store) => {
  const world = worldFor(store, SHORT_REFRESH_TOKENS);

  it('the IdP refuses the refresh token: reason expired_refresh, no token in the event', async () => {
    const w = world();
    const zhangsan = await signIn(w, 'zhangsan');
    const start = await cursor(w);
    advance(3 * HOUR + 60_000);
    expect(await w.session(zhangsan.browser)).toMatchObject({ status: 401, body: { reason: 'idp_refused' } });
    expect(await eventsSince(w, start)).toEqual([revoked(w, zhangsan, 'zhangsan', 'expired_refresh')]);
    await noSecretIn(w, zhangsan);
  });

  it("the refresh token's 30 days run out: the session ends by time alone, no event", async () => {
    const w = world();
    const lisi = await signIn(w, 'lisi');
    const start = await cursor(w);
    advance(30 * 24 * HOUR + 60_000);
    expect(await w.session(lisi.browser)).toMatchObject({ status: 401, body: { reason: 'expired' } });
    expect(await eventsSince(w, start)).toEqual([]);
  });
});
