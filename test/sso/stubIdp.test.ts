import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kit from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { stores } from '../helpers/stores.js';
import { Browser, json } from './browser.js';
import { startStubIdp, type StubIdp, type StubUser } from './stubIdp.js';
import { APP_ORIGIN } from './world.js';

const { TENANT, APP } = kit;

/** The real IdP's userinfo has no `sub` (spec §6.3.4); this stub answers exactly its fields. */
describe.each(stores)('SSO against a OneAccess-like stub IdP on %s', (store) => {
  let s: TestServer;
  let stub: StubIdp;
  const client = { clientId: 'stub-client-id', clientSecret: 'stub-secret-one' };
  const zhangsan: StubUser = { userName: 'zhangsan', name: '张三', tenant: TENANT, role: 'admin', organizationCode: 'D01' };
  const sync = async (call: string, body: unknown) => expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });

  beforeAll(async () => {
    s = await startTestServer(store, { SSO_ALLOW_HTTP: 'true', APP_ORIGIN });
    stub = await startStubIdp(client);
    await sync('tenantSync', kit.tenantSync({ domainName: stub.url }));
    await sync('applicationSync', kit.applicationSync(encryptClientSecret(client.clientSecret), { clientId: client.clientId }));
    await sync('authSync', kit.authSync([kit.user('zhangsan', { role: 'admin' })]));
  });
  afterAll(async () => {
    await stub.stop();
    await s.stop();
  });

  const login = async (idp: StubIdp = stub, user: StubUser = zhangsan) => {
    const browser = new Browser(s.url);
    const res = await browser.get(`/sso/callback?code=${idp.issueCode(user)}&tenant=${TENANT}`, { accept: 'application/json' });
    return { res, browser };
  };

  it('signs in with a userinfo that has no sub, sending the decrypted secret in the form body (client_secret_post)', async () => {
    const code = stub.issueCode(zhangsan);
    const token = await fetch(`${stub.url}/api/v1/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret }),
    }).then(json);
    const info = await fetch(`${stub.url}/api/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token.access_token}` } }).then(json);
    expect(info).not.toHaveProperty('sub');

    const { res, browser } = await login();
    expect(res.status).toBe(302);
    expect(stub.calls.badClientAuth).toBe(0);
    const session = await browser.get('/sso/session', { accept: 'application/json' });
    expect(await json(session)).toMatchObject({ user: { userName: 'zhangsan', role: 'admin', tenantId: TENANT, appId: APP } });
  });

  it('refuses a userinfo without userName, naming the field', async () => {
    stub.userinfoOverride = (u) => ({ name: u.name, tenant: u.tenant });
    try {
      const { res } = await login();
      expect(res.status).toBe(502);
      const body = await json(res);
      expect(body.error).toBe('idp_bad_response');
      expect(body.message).toMatch(/^userinfo at http:\/\/127\.0\.0\.1:\d+: userName: /);
    } finally {
      stub.userinfoOverride = undefined;
    }
  });

  it('accepts a userinfo without tenant: the answer came from this tenant\'s IdP for this tenant\'s client', async () => {
    stub.userinfoOverride = ({ tenant: _omitted, ...u }) => u;
    try {
      expect((await login()).res.status).toBe(302);
    } finally {
      stub.userinfoOverride = undefined;
    }
  });

  it('uses a new clientSecret from the next login on (applicationSync flag 2)', async () => {
    expect((await login()).res.status).toBe(302);
    client.clientSecret = 'stub-secret-two';
    const stale = await login();
    expect(stale.res.status).toBe(401); // the IdP no longer knows the old secret
    expect((await json(stale.res)).message).toContain('invalid_client');
    await sync('applicationSync', kit.applicationSync(encryptClientSecret(client.clientSecret), { clientId: client.clientId, flag: 2 }));
    expect((await login()).res.status).toBe(302);
  });

  it('sends logins to the new IdP once tenantSync flag 2 changes the domainName', async () => {
    const moved = await startStubIdp(client);
    try {
      await sync('tenantSync', kit.tenantSync({ domainName: moved.url, flag: 2 }));
      expect((await login(moved)).res.status).toBe(302);
      expect(moved.calls.token).toBe(1);
    } finally {
      await moved.stop();
    }
  });
});
