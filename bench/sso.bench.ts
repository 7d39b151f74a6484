/**
 * Single sign-on, on the store of the run: session checks per second against the bare
 * koa route, the callback's own time beyond a local IdP's, and the renewal job over 10,000
 * sessions. The IdP is the OneAccess-like stub of the tests (token endpoint + userinfo without
 * `sub`).
 */
import { Pool } from 'undici';
import { bareKoaBaseline, expectSuccess, load, startKoobridgeProcess, throughputRow, timed } from './lib.js';
import * as fx from '../test/helpers/fixtures.js';
import { startTestServer } from '../test/helpers/server.js';
import { encryptClientSecret } from '../test/helpers/keys.js';
import { startStubIdp, type StubIdp, type StubUser } from '../test/sso/stubIdp.js';
import { renewDueSessions } from '../src/sso/jobs.js';
import { insertSession } from '../src/sso/sessions.js';
import type { BenchContext, BenchModule, BenchRow } from './types.js';

const CONCURRENCY = 32;
const SESSION_SHARE = 0.4; // session checks >= 40% of the bare koa route
const CALLBACK_EXTRA_P95_MS = 15; // the callback's own p95 beyond the IdP's
const CALLBACK_CONCURRENCY = 1; // a login is one user waiting: latency, not throughput
const RENEW_SESSIONS = 10_000;
const RENEW_TARGET_S = 60;
const USERS = 100;

const client = { clientId: 'bench-client-id', clientSecret: 'bench-client-secret' };
const users: StubUser[] = Array.from({ length: USERS }, (_, i) => ({ userName: `user${String(i).padStart(4, '0')}`, name: `User ${i}`, tenant: fx.TENANT }));
const env = { SSO_ALLOW_HTTP: 'true', APP_ORIGIN: 'http://app.example.test' };

/** Tenant, app and users synced through the real kit calls, the tenant's IdP being the stub. */
async function syncDirectory(kit: (call: string, body: unknown) => Promise<any>, stub: StubIdp, sealedSecret: string) {
  expectSuccess(await kit('tenantSync', fx.tenantSync({ domainName: stub.url })));
  expectSuccess(await kit('applicationSync', fx.applicationSync(sealedSecret, { clientId: client.clientId })));
  expectSuccess(await kit('authSync', fx.authSync(users.map((u) => fx.user(u.userName)))));
}

/** One marketplace-initiated login through HTTP; answers the session cookie. */
async function login(pool: Pool, stub: StubIdp, user: StubUser): Promise<string> {
  const res = await pool.request({ path: `/sso/callback?code=${stub.issueCode(user)}&tenant=${fx.TENANT}`, method: 'GET' });
  await res.body.dump();
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
  if (res.statusCode !== 302 || !cookie) throw new Error(`callback answered HTTP ${res.statusCode}`);
  return cookie.split(';')[0]!;
}

async function sessionChecks(pool: Pool, stub: StubIdp, durationMs: number): Promise<BenchRow> {
  const cookies: string[] = [];
  for (let i = 0; i < 1_000; i++) cookies.push(await login(pool, stub, users[i % USERS]!));
  let n = 0;
  const r = await load({
    concurrency: CONCURRENCY,
    durationMs,
    warmupMs: 2_000,
    fire: async () => {
      const res = await pool.request({ path: '/sso/session', method: 'GET', headers: { cookie: cookies[n++ % cookies.length]! } });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`GET /sso/session answered HTTP ${res.statusCode}`);
    },
  });
  if (r.errors) throw new Error(`session checks: ${r.errors} errors (${r.firstError})`);
  const bare = await bareKoaBaseline(CONCURRENCY, durationMs);
  return throughputRow(`GET /sso/session, concurrency ${CONCURRENCY}, ${cookies.length} sessions`, r, bare, SESSION_SHARE);
}

async function callbackTime(pool: Pool, stub: StubIdp, count: number): Promise<BenchRow> {
  // The IdP's part alone: the same token + userinfo calls, made directly.
  const idpPool = new Pool(stub.url, { connections: CALLBACK_CONCURRENCY });
  let i = 0;
  const idp = await load({
    concurrency: CALLBACK_CONCURRENCY,
    count,
    warmupMs: 1_000,
    fire: async () => {
      const code = stub.issueCode(users[i++ % USERS]!);
      const form = new URLSearchParams({ grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret });
      const token = await idpPool.request({ path: '/api/v1/oauth2/token', method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const { access_token } = (await token.body.json()) as { access_token: string };
      const info = await idpPool.request({ path: '/api/v1/oauth2/userinfo', method: 'GET', headers: { authorization: `Bearer ${access_token}` } });
      await info.body.dump();
    },
  });
  await idpPool.close();
  const callback = await load({ concurrency: CALLBACK_CONCURRENCY, count, warmupMs: 1_000, fire: () => login(pool, stub, users[i++ % USERS]!) });
  if (callback.errors) throw new Error(`callbacks: ${callback.errors} errors (${callback.firstError})`);
  return {
    scenario: `GET /sso/callback p95, concurrency ${CALLBACK_CONCURRENCY}`,
    unit: 'ms',
    value: callback.p95,
    baseline: { name: 'IdP token+userinfo p95', value: idp.p95 },
    target: `<= IdP p95 + ${CALLBACK_EXTRA_P95_MS} ms`,
    pass: callback.p95 - idp.p95 <= CALLBACK_EXTRA_P95_MS,
    note: `own time at p95 ${(callback.p95 - idp.p95).toFixed(1)} ms; callback p50 ${callback.p50.toFixed(1)} ms, IdP p50 ${idp.p50.toFixed(1)} ms; ${callback.count} logins`,
  };
}

/** 10,000 sessions whose access tokens lapse within the margin, renewed by one run of the job. */
async function renewalJob(ctx: BenchContext, n: number): Promise<BenchRow> {
  const s = await startTestServer(ctx.store, env, ctx.mysqlUrl);
  const stub = await startStubIdp(client);
  try {
    await syncDirectory((call, body) => s.kit(call, body), stub, encryptClientSecret(client.clientSecret));
    const app = { instanceId: fx.INSTANCE, tenantId: fx.TENANT, appId: fx.APP };
    await s.rt.db.transaction(async (trx) => {
      for (let i = 0; i < n; i++) {
        const user = users[i % USERS]!;
        await insertSession(trx, s.rt.box, s.rt.config, { app, userName: user.userName, role: 'user', tokens: stub.grant(user) }, Date.now());
      }
    });
    await s.rt.db('sso_sessions').update({ access_expires_at: Date.now() + 60_000 });
    const { ms, result } = await timed(() => renewDueSessions(s.rt));
    if (result.renewed !== n) throw new Error(`renewal job renewed ${result.renewed} of ${n}: ${JSON.stringify(result)}`);
    return {
      scenario: `renewal job, ${n.toLocaleString('en-US')} sessions (SSO_RENEW_CONCURRENCY ${s.rt.config.ssoRenewConcurrency})`,
      unit: 's',
      value: ms / 1000,
      target: `<= ${RENEW_TARGET_S} s`,
      pass: ms / 1000 <= RENEW_TARGET_S,
      note: `${Math.round(n / (ms / 1000))} renewals/s; ${stub.calls.refresh} refresh grants at the IdP`,
    };
  } finally {
    await stub.stop();
    await s.stop();
  }
}

const sso: BenchModule = {
  name: 'sso',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const stub = await startStubIdp(client);
    const kb = await startKoobridgeProcess(ctx, env);
    const pool = new Pool(kb.url, { connections: CONCURRENCY });
    try {
      await syncDirectory((call, body) => kb.kit(call, body), stub, kb.encryptClientSecret(client.clientSecret));
      rows.push(await sessionChecks(pool, stub, ctx.quick ? 3_000 : 10_000));
      rows.push(await callbackTime(pool, stub, ctx.quick ? 200 : 1_000));
    } finally {
      await pool.close();
      await kb.stop();
      await stub.stop();
    }
    rows.push(await renewalJob(ctx, RENEW_SESSIONS));
    return rows;
  },
};

export default sso;
