import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevIdp, type DevIdp } from '../../src/devIdp/devIdp.js';
import { DEMO_CLIENT, demoIdpUsers } from '../../src/devIdp/demoDirectory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { cliCommand, spawnChild } from '../helpers/child.js';
import * as kit from '../helpers/fixtures.js';
import { stores } from '../helpers/stores.js';
import { Navigator } from '../sso/browser.js';

const AUTHORIZE = '/api/v1/oauth2/authorize';
/** What a script does on the way through the IdP: names who signs in. */
const hint = (userName: string) => (url: URL) => {
  if (url.pathname === AUTHORIZE) url.searchParams.set('login_hint', userName);
};

describe.each(stores)('koobridge dev-idp as the tenant IdP of koobridge (%s)', (store) => {
  let s: TestServer;
  let idp: DevIdp;

  beforeAll(async () => {
    s = await startTestServer(store, { SSO_ALLOW_HTTP: 'true' });
    idp = await startDevIdp({ clients: [{ ...DEMO_CLIENT, redirectUri: `${s.rt.config.publicUrl}/sso/callback` }], users: demoIdpUsers(kit.TENANT) });
    for (const [call, body] of [
      ['tenantSync', kit.tenantSync({ domainName: idp.url })],
      ['applicationSync', kit.applicationSync(encryptClientSecret(DEMO_CLIENT.clientSecret), { clientId: DEMO_CLIENT.clientId })],
      ['authSync', kit.authSync([kit.user('zhangsan', { role: 'admin', orgCode: 'D01' }), kit.user('lisi')])],
    ] as const) {
      expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
    }
  });
  afterAll(async () => {
    await idp?.stop();
    await s?.stop();
  });

  const session = async (nav: Navigator) => {
    const res = await nav.at(s.url).get('/sso/session', { accept: 'application/json' });
    return { status: res.status, body: (await res.json()) as { user?: Record<string, string> } };
  };

  it('signs in the login_hint user through /sso/login, the IdP and /sso/callback', async () => {
    const nav = new Navigator();
    const { url, res } = await nav.navigate(`${s.url}/sso/login?tenant=${kit.TENANT}`, { visit: hint('zhangsan') });
    expect(nav.hops.map((h) => `${h.origin === idp.url ? 'idp' : 'koobridge'} ${h.pathname}`)).toEqual(
      expect.arrayContaining(['koobridge /sso/login', `idp ${AUTHORIZE}`, 'koobridge /sso/callback']),
    );
    expect(url.pathname).toBe('/sso/account');
    expect(res!.status).toBe(200);
    expect(await session(nav)).toMatchObject({ status: 200, body: { user: { userName: 'zhangsan', role: 'admin', orgCode: 'D01', tenantId: kit.TENANT } } });
  });

  it('without login_hint shows a page to pick the user, and the pick signs that user in', async () => {
    const nav = new Navigator();
    const { url, res } = await nav.navigate(`${s.url}/sso/login?tenant=${kit.TENANT}`);
    expect(url.origin).toBe(idp.url);
    expect(res!.status).toBe(200);
    const page = await res!.text();
    expect(page).toContain('development only');
    expect(page).toContain('张三 (zhangsan, admin)');
    expect(page).toContain('李四 (lisi, user)');
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!;
    const after = await nav.submit(new URL(action, url), { userName: 'lisi' });
    expect(after.url.pathname).toBe('/sso/account');
    expect(await session(nav)).toMatchObject({ status: 200, body: { user: { userName: 'lisi', role: 'user' } } });
  });

  it('signs a signed-in browser in again when login_hint names someone else', async () => {
    const nav = new Navigator();
    await nav.navigate(`${s.url}/sso/login?tenant=${kit.TENANT}`, { visit: hint('zhangsan') });
    await nav.navigate(`${s.url}/sso/login?tenant=${kit.TENANT}`, { visit: hint('lisi') });
    expect((await session(nav)).body.user).toMatchObject({ userName: 'lisi' });
  });

  it('a login_hint nobody has shows the page with a word about it', async () => {
    const { res } = await new Navigator().navigate(`${s.url}/sso/login?tenant=${kit.TENANT}`, { visit: hint('nobody') });
    expect(res!.status).toBe(400);
    expect(await res!.text()).toContain('There is no user <code>nobody</code> here');
  });
});

describe('koobridge dev-idp speaks OneAccess', () => {
  // A client whose redirect is never fetched: the test takes the code from the address itself.
  const client = { clientId: 'lifetimes-client', clientSecret: 'lifetimes-secret', redirectUri: 'http://127.0.0.1:9/callback' };
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await startDevIdp({ clients: [client], users: demoIdpUsers(kit.TENANT) });
  });
  afterAll(() => idp?.stop());

  const token = async (params: Record<string, string>) => {
    const res = await fetch(`${idp.url}/api/v1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, ...params }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string | number> };
  };
  const signIn = async (userName: string) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'get_user_info', login_hint: userName });
    const { url } = await new Navigator().navigate(`${idp.url}${AUTHORIZE}?${q}`, { stopAt: (u) => u.href.startsWith(client.redirectUri) });
    return token({ grant_type: 'authorization_code', code: url.searchParams.get('code')!, redirect_uri: client.redirectUri });
  };

  it('gives 2 h access tokens and 30 d refresh tokens, rotated on refresh', async () => {
    const first = await signIn('zhangsan');
    expect(first).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 7200, scope: 'get_user_info' } });
    const stored = await idp.provider.RefreshToken.find(String(first.body.refresh_token));
    expect(stored!.exp - stored!.iat).toBe(30 * 86400);
    const renewed = await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) });
    expect(renewed).toMatchObject({ status: 200, body: { expires_in: 7200 } });
    expect(renewed.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it("answers userinfo with OneAccess's fields and no sub; a bad token gets OneAccess's 401", async () => {
    const { body } = await signIn('lisi');
    const res = await fetch(`${idp.url}/api/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${body.access_token}`, accept: 'application/json' } });
    const info = await res.json();
    expect(info).toMatchObject({ userName: 'lisi', name: '李四', tenant: kit.TENANT, organizationCode: 'D0101', role: 'user' });
    expect(info).not.toHaveProperty('sub');
    const bad = await fetch(`${idp.url}/api/v1/oauth2/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'unauthorized', error_description: 'Full authentication is required to access this resource' });
  });

  it('logout sends the browser to redirect_url', async () => {
    const res = await fetch(`${idp.url}/api/v1/logout?redirect_url=${encodeURIComponent('http://app.example.test/bye')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://app.example.test/bye');
  });
});

describe('the koobridge dev-idp command', () => {
  it('says it is for development only, serves the users and client it was given, and stops on SIGINT with 0', async () => {
    const child = spawnChild({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, cliCommand('dev-idp', '--port', '0', '--json', '--client-id', 'cli-client', '--client-secret', 'cli-secret', '--redirect-uri', 'http://127.0.0.1:9/cb', '--user', 'wangwu:王五:admin:D09'));
    const line = JSON.parse(await child.waitFor(/^(\{.*\})$/m));
    expect(line.warning).toContain('for development only');
    expect(line.users).toEqual([{ userName: 'wangwu', name: '王五', role: 'admin', organizationCode: 'D09', tenant: '68cbc86abc2018ab880d92f36422fa0e' }]);
    const q = new URLSearchParams({ response_type: 'code', client_id: 'cli-client', redirect_uri: 'http://127.0.0.1:9/cb', login_hint: 'wangwu' });
    const { url } = await new Navigator().navigate(`${line.url}${AUTHORIZE}?${q}`, { stopAt: (u) => u.href.startsWith('http://127.0.0.1:9/cb') });
    expect(url.searchParams.get('code'), url.href).toBeTruthy();
    child.proc.kill('SIGINT');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
