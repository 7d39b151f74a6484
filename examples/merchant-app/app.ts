import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import { Webhook } from 'standardwebhooks';
import { followEvents, KoobridgeApi, SessionCache, type Introspection } from './koobridge.js';
import { MerchantState, type KoobridgeEvent } from './state.js';

export interface MerchantConfig {
  /** koobridge on the private network, for its bearer API (introspection, events). */
  koobridgeUrl: string;
  apiToken: string;
  /** The webhook endpoint's secret (`whsec_…`); without it the app follows the events API instead. */
  webhookSecret?: string;
  host: string;
  port: number;
  sessionCacheSeconds: number;
  eventsPollSeconds: number;
  /** koobridge's SSO_COOKIE_NAME. */
  cookieName: string;
}

/** Names and defaults of the variables the app reads. */
export function configFromEnv(env: NodeJS.ProcessEnv): MerchantConfig {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const number = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds (or a port), not ${env[name]}`);
    return value;
  };
  return {
    koobridgeUrl: required('KOOBRIDGE_URL').replace(/\/+$/, ''),
    apiToken: required('API_TOKEN'),
    webhookSecret: env.WEBHOOK_SECRET || undefined,
    host: env.HOST ?? '127.0.0.1',
    port: number('PORT', 8080),
    sessionCacheSeconds: number('SESSION_CACHE_SECONDS', 5),
    eventsPollSeconds: number('EVENTS_POLL_SECONDS', 2),
    cookieName: env.SSO_COOKIE_NAME ?? 'koobridge_session',
  };
}

export interface MerchantApp {
  url: string;
  close(): Promise<void>;
}

/** Remembers the visitor's enterprise (not a secret) so a lapsed session is sent back to its own sign-in. */
const TENANT_COOKIE = 'merchant_tenant';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startMerchantApp(config: MerchantConfig, log: (line: string) => void = console.log): Promise<MerchantApp> {
  const api = new KoobridgeApi(config.koobridgeUrl, config.apiToken);
  const sessions = new SessionCache(api, config.sessionCacheSeconds * 1000);
  const state = new MerchantState(sessions);
  const webhook = config.webhookSecret ? new Webhook(config.webhookSecret) : undefined;
  const follower = webhook ? undefined : followEvents(api, state, config.eventsPollSeconds * 1000, log);

  const router = new Router();

  router.get('/', async (ctx) => {
    const user = await signedIn(ctx);
    if (!user) return;
    const workspace = state.workspaceOf(user.instanceId, user.tenantId);
    const account = state.accountOf(user.instanceId, user.tenantId, user.userName);
    ctx.type = 'html';
    ctx.body = `<!doctype html><meta charset="utf-8"><title>Merchant app</title>
<h1>Hello, ${escape(user.name || user.userName)}</h1>
<p>Workspace: ${workspace ? `${escape(workspace.name)} (${workspace.status})` : 'being set up'}</p>
<p>Your account: ${account ? `${escape(account.role)}, ${account.status}` : 'being set up'}</p>
<p><a href="/sso/logout">Sign out</a></p>`;
  });

  // For the operator (and the example's test): what the events made of the directory.
  router.get('/admin/state', (ctx) => {
    if (!bearerIs(ctx.get('authorization'), config.apiToken)) {
      ctx.status = 401;
      ctx.body = { error: 'unauthorized' };
      return;
    }
    ctx.body = { ...state.view(), introspections: sessions.introspections, source: webhook ? 'webhooks' : 'events API' };
  });

  router.post('/webhooks', async (ctx) => {
    if (!webhook) {
      ctx.status = 404;
      return;
    }
    const body = await rawBody(ctx);
    let event: KoobridgeEvent;
    try {
      // The body exactly as received: the signature covers those bytes, not a re-serialisation.
      event = webhook.verify(body, ctx.headers as Record<string, string>) as KoobridgeEvent;
    } catch {
      ctx.status = 401;
      return;
    }
    // The id is also in the body; the header is what was signed with it.
    const outcome = state.apply({ ...event, id: ctx.get('webhook-id') });
    ctx.status = 200;
    ctx.body = { outcome };
  });

  /** The signed-in user, or undefined once the request was answered (401 for scripts, the sign-in for browsers). */
  async function signedIn(ctx: Context): Promise<Extract<Introspection, { active: true }>['user'] | undefined> {
    const cookie = ctx.cookies.get(config.cookieName);
    let answer: Introspection = { active: false };
    if (cookie) {
      try {
        answer = await sessions.lookup(cookie);
      } catch (err) {
        log(`introspection failed: ${(err as Error).message}`);
        ctx.status = 503;
        ctx.body = 'Cannot check who you are right now; try again in a moment.';
        return undefined;
      }
    }
    const account = answer.active ? state.accountOf(answer.user.instanceId, answer.user.tenantId, answer.user.userName) : undefined;
    if (answer.active && account?.status !== 'disabled') {
      ctx.cookies.set(TENANT_COOKIE, answer.user.tenantId, { httpOnly: true, sameSite: 'lax', overwrite: true });
      return answer.user;
    }
    const reason = answer.active ? `account ${account!.disabledBy}` : (answer.reason ?? 'no_session');
    const tenant = ctx.cookies.get(TENANT_COOKIE);
    const login = tenant ? `/sso/login?${new URLSearchParams({ tenant, returnTo: ctx.url })}` : undefined;
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('html', 'json') === 'html' && login) {
      ctx.redirect(login);
    } else {
      ctx.status = 401;
      ctx.body = { error: 'not_signed_in', reason, login: login ?? 'open the application from KooGallery (your enterprise entry link)' };
    }
    return undefined;
  }

  const koa = new Koa();
  koa.use(router.routes()).use(router.allowedMethods());
  const server: Server = koa.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  log(`merchant app listening at ${url}; koobridge at ${config.koobridgeUrl}; events from ${webhook ? 'webhooks (POST /webhooks)' : 'the events API'}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        follower?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function bearerIs(header: string, token: string): boolean {
  const given = Buffer.from(header.replace(/^Bearer /i, ''));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A webhook body is one event: a few KB; refuse anything far larger before holding it. */
async function rawBody(ctx: Context, limit = 1_000_000): Promise<string> {
  let body = '';
  for await (const chunk of ctx.req) {
    body += chunk;
    if (body.length > limit) ctx.throw(413);
  }
  return body;
}
