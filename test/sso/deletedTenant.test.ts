import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kit from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { stores } from '../helpers/stores.js';
import { json } from './browser.js';
import { CLIENT_ID, CLIENT_SECRET, startWorld, type World } from './world.js';

describe.each(stores)('SSO for a tenant deleted and added again on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store);
  });
  afterAll(() => w.stop());

  const app = (appId: string) => kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { appId, clientId: CLIENT_ID });
  const login = async (userName: string) => {
    const res = await w.browser().get(await w.marketplaceCallback(userName), { accept: 'application/json' });
    return { status: res.status, error: res.status === 302 ? undefined : (await json(res)).error };
  };

  it('credentials and authorizations synced before the deletion, arriving late, do not sign anyone in after the re-add', async () => {
    const lateApp = app('app-before-deletion');
    const lateAuthorization = kit.authSync([kit.user('zhangsan')], { appId: 'app-before-deletion' });
    await w.sync('tenantSync', kit.tenantSync({ domainName: w.idp.url, flag: 0 }));
    await w.sync('applicationSync', lateApp);
    await w.sync('authSync', lateAuthorization);
    await w.sync('tenantSync', kit.tenantSync({ domainName: w.idp.url }));
    expect(await login('zhangsan')).toEqual({ status: 403, error: 'app_not_synced' });

    // What the marketplace syncs after the re-add counts.
    await w.sync('applicationSync', app(kit.APP));
    expect(await login('zhangsan')).toEqual({ status: 403, error: 'user_not_authorized' });
    await w.sync('authSync', kit.authSync([kit.user('zhangsan')]));
    expect(await login('zhangsan')).toEqual({ status: 302, error: undefined });
  });
});
