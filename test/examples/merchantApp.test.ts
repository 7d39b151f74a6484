import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startDevIdp, type DevIdp } from '../../src/devIdp/devIdp.js';
import { DEMO_CLIENT, demoIdpUsers } from '../../src/devIdp/demoDirectory.js';
import { spawnChild, tsxLoader, type ChildServer } from '../helpers/child.js';
import { encryptClientSecret, TEST_KEYS } from '../helpers/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import * as kit from '../helpers/fixtures.js';
import { stores } from '../helpers/stores.js';
import { created, releaseInstance, updateInstanceStatus } from '../lifecycle/bodies.js';
import { eventually } from '../webhooks/receiver.js';
import { Navigator } from '../sso/browser.js';

/**
 * The one public host of the documented layout (README "Behind a reverse proxy"), as nginx would
 * be: /sso/* and the marketplace's paths to koobridge, everything else to the application. So the
 * cookie koobridge's callback sets is the application's host's, and its requests carry it.
 */
async function startFront(targets: { koobridge: string; app: string }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const target = /^\/(sso\/|koogallery)/.test(req.url!) ? targets.koobridge : targets.app;
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The example app in its own process, as its README runs it. */
async function startApp(env: Record<string, string>): Promise<{ child: ChildServer; url: string }> {
  const child = spawnChild(
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', API_TOKEN: TEST_KEYS.apiToken, ...env },
    [process.execPath, '--import', tsxLoader, 'examples/merchant-app/main.ts'],
  );
  return { child, url: await child.waitFor(/merchant app listening at (\S+);/) };
}

const AUTHORIZE = '/api/v1/oauth2/authorize';
const hint = (userName: string) => (url: URL) => {
  if (url.pathname === AUTHORIZE) url.searchParams.set('login_hint', userName);
};

describe.each(stores)('the example merchant app, behind one host with koobridge (%s)', (store) => {
  const targets = { koobridge: '', app: '' };
  let front: { url: string; server: Server };
  let s: TestServer;
  let idp: DevIdp;
  let app: { child: ChildServer; url: string };
  let endpoint: { id: string; secret: string };
  let instanceId: string;
  const apps: ChildServer[] = [];

  beforeAll(async () => {
    front = await startFront(targets);
    // Logins land on the application's home; deliveries are retried quickly.
    s = await startTestServer(store, { SSO_ALLOW_HTTP: 'true', PUBLIC_URL: front.url, APP_ORIGIN: front.url, WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3' });
    targets.koobridge = s.url;
    idp = await startDevIdp({ clients: [{ ...DEMO_CLIENT, redirectUri: `${front.url}/sso/callback` }], users: demoIdpUsers(kit.TENANT) });
    // The endpoint's secret comes with it; the app needs it to start, and the endpoint its address after.
    const made = await s.api('/api/v1/webhook-endpoints', undefined, 'POST', { url: 'http://127.0.0.1:9/not-yet' });
    endpoint = { id: made.body.id, secret: made.body.secret };
    // A cache far longer than the test: a refusal within it is the events' doing, not the cache lapsing.
    app = await startApp({ KOOBRIDGE_URL: s.url, WEBHOOK_SECRET: endpoint.secret, SESSION_CACHE_SECONDS: '300' });
    apps.push(app.child);
    targets.app = app.url;
    expect((await s.api(`/api/v1/webhook-endpoints/${endpoint.id}`, undefined, 'PATCH', { url: `${app.url}/webhooks` })).status).toBe(200);
  });
  afterAll(async () => {
    for (const child of apps) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
    await idp?.stop();
    await s?.stop();
    await new Promise((resolve) => front?.server.close(resolve));
  });

  const stateOf = async (url = app.url) => {
    const res = await fetch(`${url}/admin/state`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  };
  const accountOf = async (userName: string, url?: string) => (await stateOf(url)).accounts.find((a: { userName: string }) => a.userName === userName);
  const signedIn = async (userName: string) => {
    const nav = new Navigator();
    const landed = await nav.navigate(`${front.url}/sso/login?instanceId=${instanceId}`, { visit: hint(userName) });
    return { nav, ...landed };
  };
  const home = (nav: Navigator, accept = 'application/json') => nav.at(front.url).get('/', { accept });

  it('makes a workspace and accounts from the webhooks of a purchase and its syncs', async () => {
    instanceId = await created(s);
    const common = { instanceId };
    for (const [call, body] of [
      ['tenantSync', kit.tenantSync({ ...common, name: 'Acme 示例', domainName: idp.url })],
      ['applicationSync', kit.applicationSync(encryptClientSecret(DEMO_CLIENT.clientSecret), { ...common, clientId: DEMO_CLIENT.clientId })],
      ['authSync', kit.authSync([kit.user('zhangsan', { name: '张三', role: 'admin', orgCode: 'D01' }), kit.user('lisi', { name: '李四' })], common)],
    ] as const) {
      expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
    }
    const state = await eventually(async () => {
      const shown = await stateOf();
      expect(shown.accounts).toHaveLength(2);
      return shown;
    });
    expect(state.source).toBe('webhooks');
    expect(state.workspaces).toEqual([expect.objectContaining({ instanceId, tenantId: kit.TENANT, name: 'Acme 示例', status: 'open' })]);
    expect(await accountOf('zhangsan')).toMatchObject({ name: '张三', role: 'admin', status: 'active' });
    expect(await accountOf('lisi')).toMatchObject({ name: '李四', role: 'user', status: 'active' });
  });

  it('greets the person signed in through koobridge and the IdP, on the same host, and asks koobridge once per cache time', async () => {
    const before = (await stateOf()).introspections;
    const { nav, url, res } = await signedIn('zhangsan');
    expect(url.href).toBe(`${front.url}/`);
    expect(res!.status).toBe(200);
    const page = await res!.text();
    expect(page).toContain('Hello, 张三');
    expect(page).toContain('Workspace: Acme 示例 (open)');
    expect(page).toContain('Your account: admin, active');
    expect((await home(nav, 'text/html')).status).toBe(200);
    expect((await stateOf()).introspections).toBe(before + 1);
    // Nobody signed in: scripts get 401, and a browser that never signed in here is told where to start.
    const stranger = await fetch(`${front.url}/`, { headers: { accept: 'application/json' } });
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({ error: 'not_signed_in', reason: 'no_session' });
  });

  it('refuses the next request of a user authSync deauthorized, long before the cache would lapse, and shows the account disabled', async () => {
    const zhangsan = await signedIn('zhangsan');
    const lisi = await signedIn('lisi');
    expect((await home(zhangsan.nav)).status).toBe(200);
    expect((await home(lisi.nav)).status).toBe(200);
    expect(await s.kit('authSync', kit.authSync([kit.user('zhangsan', { name: '张三', role: 'admin', orgCode: 'D01' })], { instanceId, flag: 3 }))).toMatchObject({ resultCode: '000000' });
    await eventually(async () => expect(await accountOf('zhangsan')).toMatchObject({ status: 'disabled', disabledBy: 'user.deauthorized' }));
    const refused = await home(zhangsan.nav);
    expect(refused.status).toBe(401);
    // koobridge was asked again (the event dropped the cached answer) and said why.
    expect(await refused.json()).toMatchObject({ error: 'not_signed_in', reason: 'deauthorized' });
    // A browser is sent to its enterprise's sign-in, to come back where it was.
    const browser = await home(zhangsan.nav, 'text/html');
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe(`/sso/login?tenant=${kit.TENANT}&returnTo=%2F`);
    expect((await home(lisi.nav)).status).toBe(200);
  });

  it('drops a repeated delivery, a late one older than what the account has, and an unsigned one', async () => {
    const { data: events } = (await s.api(`/api/v1/events?instanceId=${instanceId}&types=user.authorized,user.deauthorized`)).body;
    const authorized = events.find((e: any) => e.type === 'user.authorized' && e.data.userName === 'zhangsan');
    const deauthorized = events.find((e: any) => e.type === 'user.deauthorized');
    const before = (await stateOf()).events;

    const deliveries = (await s.api(`/api/v1/webhook-endpoints/${endpoint.id}/deliveries`)).body.items;
    const delivery = deliveries.find((d: { eventId: string }) => d.eventId === deauthorized.id);
    expect((await s.api(`/api/v1/webhook-deliveries/${delivery.id}/retry`, undefined, 'POST')).status).toBe(202);
    await eventually(async () => expect((await stateOf()).events.duplicate).toBe(before.duplicate + 1));

    // The authorization, arriving again under another id after the deauthorization: stale by its sequence.
    const late = JSON.stringify({ ...authorized, id: `evt_${randomUUID()}` });
    const id = JSON.parse(late).id;
    const signature = new Webhook(endpoint.secret).sign(id, new Date(), late);
    const post = (headers: Record<string, string>) => fetch(`${app.url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: late });
    const answer = await post({ 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature });
    expect(await answer.json()).toEqual({ outcome: 'stale' });
    const forged = await post({ 'webhook-id': `evt_${randomUUID()}`, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature });
    expect(forged.status).toBe(401);
    const after = await stateOf();
    expect(after.events).toMatchObject({ stale: before.stale + 1, applied: before.applied });
    expect(await accountOf('zhangsan')).toMatchObject({ status: 'disabled' });
  });

  it('refuses a deauthorized user once the cached answer lapses, even while the event has not come', async () => {
    // Events followed every 10 minutes: after the first page, nothing new reaches this app during the test.
    const slow = await startApp({ KOOBRIDGE_URL: s.url, EVENTS_POLL_SECONDS: '600', SESSION_CACHE_SECONDS: '1' });
    apps.push(slow.child);
    await eventually(async () => expect(await accountOf('lisi', slow.url)).toMatchObject({ status: 'active' }));
    targets.app = slow.url;
    try {
      const lisi = await signedIn('lisi');
      expect((await home(lisi.nav)).status).toBe(200);
      expect(await s.kit('authSync', kit.authSync([kit.user('lisi', { name: '李四' })], { instanceId, flag: 3 }))).toMatchObject({ resultCode: '000000' });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const refused = await home(lisi.nav);
      expect(await refused.json()).toMatchObject({ error: 'not_signed_in', reason: 'deauthorized' });
      expect(await accountOf('lisi', slow.url)).toMatchObject({ status: 'active' });
    } finally {
      targets.app = app.url;
    }
  });

  it('shows the workspace frozen, then closed, as the instance is frozen and released', async () => {
    expect(await s.basic(updateInstanceStatus(instanceId, 'FREEZE'))).toMatchObject({ resultCode: '000000' });
    await eventually(async () => expect((await stateOf()).workspaces[0]).toMatchObject({ status: 'frozen' }));
    expect(await s.basic(releaseInstance(instanceId))).toMatchObject({ resultCode: '000000' });
    await eventually(async () => expect((await stateOf()).workspaces[0]).toMatchObject({ status: 'closed' }));
  });

  it('without a webhook secret, follows the events API from the start to the same state', async () => {
    const follower = await startApp({ KOOBRIDGE_URL: s.url, EVENTS_POLL_SECONDS: '0.2' });
    apps.push(follower.child);
    const byKey = (state: any) => ({
      workspaces: state.workspaces,
      accounts: [...state.accounts].sort((a: any, b: any) => a.userName.localeCompare(b.userName)),
    });
    const webhooks = byKey(await stateOf());
    await eventually(async () => {
      const followed = await stateOf(follower.url);
      expect(followed.source).toBe('events API');
      expect(byKey(followed)).toEqual(webhooks);
    });
  });
});
