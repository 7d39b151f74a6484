import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS, encryptClientSecret } from '../helpers/keys.js';
import * as kit from '../helpers/fixtures.js';
import type { Store } from '../helpers/stores.js';
import { Browser } from './browser.js';
import { startLoopbackIdp, type IdpClient, type LoopbackIdp } from './idp.js';

export const APP_ORIGIN = 'http://app.example.test';
export const CLIENT_ID = 'NzZeWuiJa91dPSRdZQChMazIh13AW';
export const CLIENT_SECRET = 'client-secret-of-tenant-app-7f3a';
export const { TENANT, INSTANCE, APP } = kit;

export interface World {
  s: TestServer;
  instanceId: string;
  idp: LoopbackIdp;
  client: IdpClient;
  browser(): Browser;
  /** The marketplace's unified login page: sign in at the IdP, hand back ?code&tenant. Returns our callback URL. */
  marketplaceCallback(userName: string): Promise<string>;
  /** Marketplace-initiated login to the end; the browser then holds the session cookie. */
  marketplaceLogin(userName: string, browser?: Browser): Promise<{ res: Response; browser: Browser }>;
  /** App-initiated login up to the IdP's redirect back: /sso/login in this browser → IdP. Returns our callback URL (code + state). */
  appCallback(userName: string, query?: string, browser?: Browser): Promise<string>;
  /** App-initiated login: /sso/login → IdP → our callback. */
  appLogin(userName: string, query?: string, browser?: Browser): Promise<{ res: Response; browser: Browser }>;
  session(browser: Browser, accept?: string): Promise<{ status: number; body: any }>;
  /** koobridge_sso_sessions_ended_total for this reason, as GET /metrics shows it. */
  sessionsEnded(reason: string): Promise<number>;
  sync(call: string, body: unknown): Promise<void>;
  /**
   * Stops the server and starts it again on the same database and port with these settings added
   * (as an operator's restart after changing the environment); `s` is the new server then.
   */
  restart(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A koobridge server, a loopback oidc-provider as the tenant's IdP, and a directory synced through
 * the real kit calls: tenant (domainName = the IdP), app (clientSecret RSA-encrypted like the
 * marketplace), users zhangsan (admin) and lisi (user).
 */
export interface WorldOptions {
  env?: Record<string, string>;
  idp?: { refreshTokenTtlSeconds?: number };
  /** Sync the directory under an instance created by the basic newInstance call (else the fixtures' INSTANCE, no row). */
  newInstance?: boolean;
  /** Every log line the server writes (JSON), across restarts. */
  logLines?: string[];
}

/** The IdP's refresh tokens last 3 h (ours assume the documented 30 days); no other end comes first. */
export const SHORT_REFRESH_TOKENS: WorldOptions = {
  env: { SSO_SESSION_ABSOLUTE_HOURS: '720', SSO_SESSION_IDLE_MINUTES: '100000' },
  idp: { refreshTokenTtlSeconds: 3 * 3600 },
};

/** Moves this process's clock (ours and the IdP's) forward; timers stay real. Undo with vi.useRealTimers(). */
export function advance(ms: number) {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + ms);
}

/**
 * A world for the describe block this is called in: started before its tests, stopped after them,
 * the real clock back after each test (see advance). Returns the world once started.
 */
export function worldFor(store: Store, options: WorldOptions = {}): () => World {
  let w: World | undefined;
  beforeAll(async () => {
    w = await startWorld(store, options);
  });
  afterAll(() => w?.stop());
  afterEach(() => {
    vi.useRealTimers();
  });
  return () => w!;
}

export async function startWorld(store: Store, options: WorldOptions = {}): Promise<World> {
  const env = { SSO_ALLOW_HTTP: 'true', APP_ORIGIN, ...options.env };
  let s = await startTestServer(store, env, undefined, { logLines: options.logLines });
  const instanceId = options.newInstance ? await createdInstance(s) : INSTANCE;
  // Registered at PUBLIC_URL; the browser reaches it on the test server's address, as through a proxy.
  const client = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${s.rt.config.publicUrl}/sso/callback` };
  const onTestServer = (back: URL) => new URL(back.pathname + back.search, s.url);
  const idp = await startLoopbackIdp([client], options.idp);
  idp.accounts.set('zhangsan', { userName: 'zhangsan', name: '张三', tenant: TENANT, role: 'admin' });
  idp.accounts.set('lisi', { userName: 'lisi', name: '李四', tenant: TENANT });
  idp.accounts.set('wangwu', { userName: 'wangwu', name: '王五', tenant: TENANT });

  const sync = async (call: string, body: unknown) => {
    expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
  };
  await sync('tenantSync', kit.tenantSync({ instanceId, domainName: idp.url }));
  await sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { instanceId, clientId: CLIENT_ID }));
  await sync('authSync', kit.authSync([kit.user('zhangsan', { role: 'admin', orgCode: 'D01' }), kit.user('lisi')], { instanceId }));

  const world: World = {
    get s() {
      return s;
    },
    instanceId,
    idp,
    client,
    browser: () => new Browser(s.url),
    async marketplaceCallback(userName) {
      idp.loginAs = userName;
      const back = onTestServer(await idp.authorize(client));
      back.searchParams.set('tenant', TENANT);
      return back.href;
    },
    async marketplaceLogin(userName, browser = world.browser()) {
      const res = await browser.get(await world.marketplaceCallback(userName));
      return { res, browser };
    },
    async appCallback(userName, query = `tenant=${TENANT}`, browser = world.browser()) {
      const start = await browser.get(`/sso/login?${query}`);
      expect(start.status, await start.clone().text()).toBe(302);
      idp.loginAs = userName;
      return onTestServer(await idp.follow(start.headers.get('location')!)).href;
    },
    async appLogin(userName, query, browser = world.browser()) {
      const res = await browser.get(await world.appCallback(userName, query, browser));
      return { res, browser };
    },
    async session(browser, accept = 'application/json') {
      return s.described('GET', '/sso/session', await browser.get('/sso/session', { accept }));
    },
    async sessionsEnded(reason) {
      const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } });
      const line = new RegExp(`^koobridge_sso_sessions_ended_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(await res.text());
      if (!line) throw new Error(`no koobridge_sso_sessions_ended_total series for reason ${reason}`);
      return Number(line[1]);
    },
    sync,
    async restart(more) {
      const port = new URL(s.url).port;
      await s.close();
      // Lets this process's HTTP clients see the closed kept-alive connections before the port is reused.
      await new Promise((resolve) => setTimeout(resolve, 100));
      s = await startTestServer(store, { ...env, PORT: port, ...more }, undefined, { logLines: options.logLines, on: s.fresh });
    },
    async stop() {
      await idp.stop();
      await s.stop();
    },
  };
  return world;
}

/** Rows of a table, for assertions on what was (not) stored. */
export const count = async (s: TestServer, table: string, where: Record<string, unknown> = {}) =>
  Number((await s.rt.db(table).where(where).count({ n: '*' }))[0]!.n);

async function createdInstance(s: TestServer): Promise<string> {
  const answer = await s.basic({ activity: 'newInstance', orderId: 'CS-SSO-ORDER', orderLineId: 'CS-SSO-ORDER-000001', businessId: 'sso-test-business-id' });
  expect(answer).toMatchObject({ resultCode: '000000' });
  return answer.instanceId as string;
}
