import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kit from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { stores } from '../helpers/stores.js';
import { CLIENT_ID, CLIENT_SECRET, TENANT, count, startWorld, type World } from './world.js';
import { json } from './browser.js';

/** Revocation happens inside the revoking marketplace call: the very next request is refused. */
describe.each(stores)('SSO revocation by the directory on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { newInstance: true });
  });
  afterAll(() => w.stop());

  const instanceId = () => w.instanceId;
  const authSync = (users: unknown[], o: Record<string, unknown> = {}) => w.sync('authSync', kit.authSync(users, { instanceId: instanceId(), ...o }));
  const login = async (userName: string) => {
    const { res, browser } = await w.marketplaceLogin(userName);
    expect(res.status, await res.clone().text()).toBe(302);
    return browser;
  };
  const refusal = async (userName: string) => {
    const callback = await w.marketplaceCallback(userName);
    const res = await w.browser().get(callback, { accept: 'application/json' });
    return { status: res.status, ...(await json(res)) };
  };

  it('authSync flag 3 (authorization cancelled) ends that user\'s sessions at once; others stay; a new login is refused', async () => {
    const lisi = await login('lisi');
    const zhangsan = await login('zhangsan');
    await authSync([kit.user('lisi')], { flag: 3 });
    expect(await w.session(lisi)).toMatchObject({ status: 401, body: { error: 'session_ended', reason: 'deauthorized' } });
    expect((await w.session(zhangsan)).status).toBe(200);
    expect(await refusal('lisi')).toMatchObject({ status: 403, error: 'authorization_cancelled' });

    await authSync([kit.user('lisi')], { flag: 1 });
    expect((await w.session(await login('lisi'))).status).toBe(200);
  });

  it('authSync with enable "false" ends the sessions; the login page says the account is disabled', async () => {
    const lisi = await login('lisi');
    await authSync([kit.user('lisi', { enable: 'false' })], { flag: 2 });
    expect(await w.session(lisi)).toMatchObject({ status: 401, body: { reason: 'deauthorized' } });
    expect(await refusal('lisi')).toMatchObject({ status: 403, error: 'user_disabled' });
    await authSync([kit.user('lisi')], { flag: 2 });
  });

  it('authSync flag 0 (deleted) ends the sessions; the user is no longer authorized', async () => {
    const lisi = await login('lisi');
    await authSync([kit.user('lisi')], { flag: 0 });
    expect((await w.session(lisi)).status).toBe(401);
    expect(await refusal('lisi')).toMatchObject({ status: 403, error: 'user_not_authorized' });
    await authSync([kit.user('lisi')], { flag: 1 });
  });

  it('a role change through authSync shows in the session without a new login', async () => {
    const lisi = await login('lisi');
    expect((await w.session(lisi)).body.user.role).toBe('user');
    await authSync([kit.user('lisi', { role: 'admin' })], { flag: 2 });
    expect((await w.session(lisi)).body.user.role).toBe('admin');
    await authSync([kit.user('lisi')], { flag: 2 });
  });

  it('freezing the instance (updateInstanceStatus FREEZE) ends its sessions and blocks login until UNFREEZE', async () => {
    const zhangsan = await login('zhangsan');
    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: instanceId(), status: 'FREEZE' })).toMatchObject({ resultCode: '000000' });
    expect(await w.session(zhangsan)).toMatchObject({
      status: 401,
      body: { error: 'session_ended', reason: 'frozen', message: "Your enterprise's subscription to this application was frozen." },
    });
    // The account page says so too, in the browser's language.
    const page = await (await zhangsan.get('/sso/account', { 'accept-language': 'zh-CN' })).text();
    expect(page).toContain('您企业的此应用订阅已被冻结。');
    expect(await count(w.s, 'sso_sessions', { instance_id: instanceId() })).toBe(0);
    const refused = await refusal('zhangsan');
    expect(refused).toMatchObject({ status: 403, error: 'instance_frozen' });
    // Refused before the code is spent at the IdP: the app-initiated entry does not even redirect.
    const start = await w.browser().get(`/sso/login?tenant=${TENANT}`, { accept: 'application/json' });
    expect(start.status).toBe(403);

    expect(await w.s.basic({ activity: 'updateInstanceStatus', instanceId: instanceId(), status: 'UNFREEZE' })).toMatchObject({ resultCode: '000000' });
    expect((await w.session(await login('zhangsan'))).status).toBe(200);
  });

  it('deleting the app (applicationSync flag 0) ends its sessions; a login finds no app', async () => {
    const zhangsan = await login('zhangsan');
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { instanceId: instanceId(), clientId: CLIENT_ID, flag: 0 }));
    expect(await w.session(zhangsan)).toMatchObject({ status: 401, body: { reason: 'removed' } });
    expect(await refusal('zhangsan')).toMatchObject({ status: 403, error: 'app_not_synced' });
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { instanceId: instanceId(), clientId: CLIENT_ID }));
    expect((await w.session(await login('zhangsan'))).status).toBe(200);
  });

  it('deleting the tenant (tenantSync flag 0) ends all its sessions', async () => {
    const a = await login('zhangsan');
    const b = await login('lisi');
    await w.sync('tenantSync', kit.tenantSync({ instanceId: instanceId(), domainName: w.idp.url, flag: 0 }));
    expect((await w.session(a)).status).toBe(401);
    expect((await w.session(b)).status).toBe(401);
    expect(await refusal('zhangsan')).toMatchObject({ status: 403, error: 'tenant_not_synced' });
    await w.sync('tenantSync', kit.tenantSync({ instanceId: instanceId(), domainName: w.idp.url }));
  });

  it('releasing the instance ends its sessions for good (its directory is gone too)', async () => {
    // The tenant was deleted and added again: only what is synced after that counts.
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { instanceId: instanceId(), clientId: CLIENT_ID }));
    await authSync([kit.user('zhangsan')]);
    const zhangsan = await login('zhangsan');
    expect(await w.s.basic({ activity: 'releaseInstance', instanceId: instanceId() })).toMatchObject({ resultCode: '000000' });
    expect(await w.session(zhangsan)).toMatchObject({ status: 401, body: { reason: 'released' } });
    // The release also deleted the instance's directory.
    expect(await refusal('zhangsan')).toMatchObject({ status: 403, error: 'tenant_not_synced' });
  });
});
