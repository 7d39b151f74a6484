import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Browser } from '../sso/browser.js';
import { formTokenOf, postAdminForm, signedInAdmin, signIn } from './session.js';
import { loadConfig } from '../../src/config/index.js';
import { keyEnv } from '../helpers/keys.js';
import { publicPaths } from '../../src/features.js';
import { isPublicPath } from '../../src/http/access.js';

describe.each(stores)('admin console access on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  it('sends a page request without the admin session to the sign-in page, and refuses other spellings with the API token check', async () => {
    const routes = s.routes.filter((r) => r.path.startsWith('/admin') && r.path !== '/admin/login');
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/admin', '/admin/logout',
        '/admin/webhooks', '/admin/webhooks/:id', '/admin/webhooks/deliveries/:id/retry',
        '/admin/held-syncs', '/admin/held-syncs/:id', '/admin/held-syncs/:id/apply', '/admin/held-syncs/:id/discard',
      ]),
    );
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, 'x1');
      if (route.methods.includes('GET')) {
        const res = await fetch(`${s.url}${path}`, { redirect: 'manual' });
        expect(res.status, path).toBe(302);
        expect(res.headers.get('location'), path).toBe('/admin/login');
      }
      if (route.methods.includes('POST')) {
        const post = await fetch(`${s.url}${path}`, { method: 'POST', redirect: 'manual', body: 'csrf=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expect(post.status, `POST ${path}`).toBe(403);
      }
    }
    for (const path of ['/ADMIN', '/admin/', '//admin', '/Admin/login', '/admin//login', '/%61dmin']) {
      const res = await fetch(`${s.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toBe('Bearer');
    }
  });

  it('signs in with the password only, with cookie flags of its own, and signs out', async () => {
    const browser = new Browser(s.url);
    const wrong = await signIn(browser, 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That password is not right.');
    expect(browser.cookies.has('koobridge_admin')).toBe(false);

    const admin = await signedInAdmin(s);
    const line = admin.lastSetCookie.find((l) => l.startsWith('koobridge_admin='))!;
    expect(line).toMatch(/; Path=\/admin; /);
    expect(line).toMatch(/; HttpOnly; SameSite=Strict$/); // no Secure under NODE_ENV=test
    const page = await admin.get('/admin');
    expect(page.status).toBe(200);

    // The session is kept by its hash: the cookie's value is nowhere in the table.
    const rows = await s.rt.db('admin_sessions').select('id_hash');
    expect(rows.map((r) => r.id_hash)).not.toContain(admin.cookies.get('koobridge_admin'));

    const out = await postAdminForm(admin, '/admin', '/admin/logout');
    expect(out.status).toBe(302);
    expect((await admin.get('/admin')).status).toBe(302);
  });

  it('refuses a POST whose form token is missing or forged, even with the session', async () => {
    const admin = await signedInAdmin(s);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await admin.post('/admin/logout', headers, '')).status).toBe(403);
    expect((await admin.post('/admin/logout', headers, 'csrf=forged')).status).toBe(403);
    // Another session's token does not fit this session.
    const other = await signedInAdmin(s);
    const otherToken = formTokenOf(await (await other.get('/admin')).text());
    expect((await admin.post('/admin/logout', headers, `csrf=${otherToken}`)).status).toBe(403);
    expect((await admin.get('/admin')).status).toBe(200);
    // The sign-in form's token too.
    expect((await admin.post('/admin/login', headers, 'password=x')).status).toBe(403);
    // Every form of the console, with the session but without its token.
    const posts = s.routes.filter((r) => r.path.startsWith('/admin') && r.path !== '/admin/login' && r.methods.includes('POST'));
    expect(posts.length).toBeGreaterThanOrEqual(5);
    for (const route of posts) {
      const path = route.path.replace(/:id\b/, route.path.includes('held-syncs') ? '1' : 'whd_AAAAAAAAAAAAAAAAAAAAAA').replace(/:(\w+)/g, 'x1');
      expect((await admin.post(path, headers, '')).status, `POST ${path}`).toBe(403);
      expect((await admin.post(path, headers, `csrf=${otherToken}`)).status, `POST ${path}`).toBe(403);
    }
    // With the token, a form naming nothing is told so.
    for (const path of ['/admin/held-syncs/999/apply', '/admin/held-syncs/0/discard', '/admin/webhooks/deliveries/whd_AAAAAAAAAAAAAAAAAAAAAA/retry', '/admin/webhooks/deliveries/x1/retry']) {
      expect((await postAdminForm(admin, '/admin', path)).status, path).toBe(404);
    }
  });

  it('asks a source address to wait after 5 attempts a minute', async () => {
    await s.rt.db('admin_login_attempts').delete();
    const browser = new Browser(s.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn(browser, `wrong guess ${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await signIn(browser, s.rt.config.adminPassword!);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await s.rt.db('admin_login_attempts').delete();
  });

  it('speaks Chinese by Accept-Language and by the switch', async () => {
    const zh = await fetch(`${s.url}/admin/login`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    expect(await zh.text()).toContain('登录管理控制台');
    const browser = new Browser(s.url);
    expect(await (await browser.get('/admin/login?lang=zh')).text()).toContain('登录管理控制台');
    expect(await (await browser.get('/admin/login')).text()).toContain('登录管理控制台');
  });
});

describe('admin console in production', () => {
  it('is absent while ADMIN_PASSWORD is unset, and no key is asked for it', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'sqlite:///tmp/x.sqlite', PUBLIC_URL: 'https://bridge.example.com', ...keyEnv() });
    expect(config.adminPassword).toBeUndefined();
    // Not public: /admin is then behind the API token like any unknown path.
    expect(isPublicPath(publicPaths(config), '/admin/login')).toBe(false);
  });
});
