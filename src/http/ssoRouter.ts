import { isDevelopment } from '../config/index.js';
import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { parseInput } from '../marketplace/validation.js';
import { BadInput } from '../errors.js';
import { completeLogin } from '../sso/callback.js';
import { assertNotCrossSite } from '../sso/crossSite.js';
import { bindingCookieName, browserBinding } from '../sso/loginBinding.js';
import { hasPendingLogins } from '../sso/loginStates.js';
import { startLogin } from '../sso/login.js';
import { currentSession } from '../sso/sessionCheck.js';
import { sessionEnd, sessionEnding, sessionView, sha256, type SessionRecord } from '../sso/sessions.js';
import { answerSwitch } from '../sso/switch.js';
import { SsoRefusal } from '../sso/refusal.js';
import { auditRefusal, supportReference } from '../sso/audit.js';
import { logOut } from '../sso/logout.js';
import { readForm, readJsonObject } from './body.js';
import { accountPageFor, endedSessionJson, logoutPage, refusalJson, refusalPage, signedOutPage, signingOutPage, switchJson, switchPage } from './ssoPages.js';
import { describe } from '../log.js';
import { introspectionSchema, noSessionSchema, sessionSchema, type Introspection } from '../sso/viewSchemas.js';
import type { Operation } from './openapi.js';

const param = (max: number) => z.string().max(max).optional();
const callbackQuery = z.object({
  code: param(2048),
  tenant: param(64),
  state: param(256),
  iss: param(512),
  error: param(256),
  error_description: param(1024),
});
const loginQuery = z.object({ tenant: param(64), instanceId: param(64), appId: param(64), returnTo: param(2048) });
export const introspectBody = z.object({ session: z.string().min(1).max(256).describe('the session cookie\'s value, as the browser sent it to the application') });
const switchForm = z.object({ token: z.string().min(1).max(256), action: z.enum(['continue', 'cancel']) });
const logoutForm = z.object({ token: z.string().min(1).max(256) });
/** Our forms hold a token and a button's value; anything much larger is not from them. */
const FORM_LIMIT_BYTES = 4096;

/**
 * Single sign-on (spec §6): login (marketplace- and app-initiated), logout, and the session as the
 * merchant's application sees it. Use-cases live in src/sso; this layer maps HTTP to them.
 */
export function ssoRouter(rt: Runtime): Router {
  const { config } = rt;
  const router = exactRouter();
  const secure = !isDevelopment(config.nodeEnv);
  const cookie = (name: string, value: string, maxAgeSeconds: number, path = '/') =>
    `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const sessionCookie = (id: string, record: SessionRecord) => cookie(config.ssoCookieName, id, Math.floor((record.expiresAt - Date.now()) / 1000));
  const bindingName = bindingCookieName(config);
  const wantsJson = (ctx: Context) => ctx.accepts('html', 'json') === 'json';

  /**
   * The one place a sign-in step's refusal is answered: a page for browsers, JSON for
   * `Accept: application/json`, and an audit record. Bad input (a query, a form) is an
   * invalid_request refusal; a fault goes on to the edge's 500.
   */
  const refusing =
    (callName: string, handler: Middleware): Middleware =>
    async (ctx, next) => {
      const startedAt = Date.now();
      try {
        await handler(ctx, next);
      } catch (thrown) {
        const err = thrown instanceof BadInput ? new SsoRefusal('invalid_request', thrown.message) : thrown;
        if (!(err instanceof SsoRefusal)) throw err;
        const reference = await auditRefusal(rt.db, callName, err, startedAt, ctx.ip || 'unknown').catch((e) => {
          rt.log.error({ err: describe(e) }, 'audit write failed');
          return supportReference();
        });
        // A 5xx refusal is ours or the IdP's to fix, not the user's: worth an operator's look.
        rt.log[err.status >= 500 ? 'warn' : 'info']({ call: callName, reason: err.reason, reference, detail: err.message, tenantId: err.subject.tenantId, userName: err.subject.userName }, 'sso refused');
        ctx.set('Cache-Control', 'no-store');
        if (wantsJson(ctx)) {
          ctx.status = err.status;
          ctx.body = refusalJson(err, reference);
        } else {
          refusalPage(rt, ctx, err, reference);
        }
      }
    };
  const sessionOf = async (ctx: Context) => {
    const id = ctx.cookies.get(config.ssoCookieName);
    return { id, rec: id ? await currentSession(rt, id) : undefined };
  };

  router.get(
    '/sso/login',
    refusing('loginStart', async (ctx) => {
      const binding = browserBinding(ctx.cookies.get(bindingName));
      const authorize = await startLogin(rt, parseInput(loginQuery, ctx.query), sha256(binding));
      // Renewed with every login started, so it outlives each of this browser's pending states.
      ctx.append('Set-Cookie', cookie(bindingName, binding, config.ssoLoginStateTtlSeconds, '/sso'));
      ctx.redirect(authorize.href);
    }),
  );

  router.get(
    '/sso/callback',
    refusing('login', async (ctx) => {
      const query = parseInput(callbackQuery, ctx.query);
      const binding = ctx.cookies.get(bindingName);
      try {
        const outcome = await completeLogin(rt, query, { sessionId: ctx.cookies.get(config.ssoCookieName), binding });
        ctx.set('Cache-Control', 'no-store');
        if ('offer' in outcome) {
          if (wantsJson(ctx)) {
            ctx.status = 409;
            ctx.body = switchJson(outcome.offer);
          } else {
            await switchPage(rt, ctx, outcome.offer);
          }
          return;
        }
        ctx.append('Set-Cookie', sessionCookie(outcome.login.sessionId, outcome.login.record));
        ctx.redirect(outcome.login.returnTo);
      } finally {
        // The login cookie goes with this browser's last pending login, whether it succeeded or not.
        if (query.state !== undefined && binding !== undefined && !(await hasPendingLogins(rt.db, sha256(binding), Date.now()))) {
          ctx.append('Set-Cookie', cookie(bindingName, '', 0, '/sso'));
        }
      }
    }),
  );

  router.post(
    '/sso/switch',
    refusing('sessionSwitch', async (ctx) => {
      assertNotCrossSite(config, ctx.get('origin'), ctx.get('sec-fetch-site'), 'this account switch');
      const form = parseInput(switchForm, Object.fromEntries(await readForm(ctx, FORM_LIMIT_BYTES)));
      const answer = await answerSwitch(rt, form.token, form.action, ctx.cookies.get(config.ssoCookieName));
      if (answer.login) ctx.append('Set-Cookie', sessionCookie(answer.login.id, answer.login.record));
      ctx.status = 303;
      ctx.redirect(answer.returnTo);
    }),
  );

  router.get('/sso/logout', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { id, rec } = await sessionOf(ctx);
    if (id && rec) await logoutPage(rt, ctx, id, rec);
    else signedOutPage(rt, ctx);
  });

  router.post(
    '/sso/logout',
    refusing('logout', async (ctx) => {
      assertNotCrossSite(config, ctx.get('origin'), ctx.get('sec-fetch-site'), 'this sign-out');
      const id = ctx.cookies.get(config.ssoCookieName);
      // A caller without a form (the application's script on our site) is covered by the same-site check above.
      const fromOurForm = Boolean(ctx.is('application/x-www-form-urlencoded'));
      const form = fromOurForm ? parseInput(logoutForm, Object.fromEntries(await readForm(ctx, FORM_LIMIT_BYTES))) : undefined;
      const logoutUrl = await logOut(rt, id, form?.token);
      ctx.append('Set-Cookie', cookie(config.ssoCookieName, '', 0));
      ctx.set('Cache-Control', 'no-store');
      if (wantsJson(ctx)) {
        ctx.body = { logoutUrl };
      } else if (fromOurForm && new URL(logoutUrl).origin !== new URL(config.publicUrl).origin) {
        signingOutPage(ctx, logoutUrl);
      } else {
        ctx.status = 303;
        ctx.redirect(logoutUrl);
      }
    }),
  );

  router.get('/sso/account', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { id, rec } = await sessionOf(ctx);
    await accountPageFor(rt, ctx, id, rec, id && !rec ? await sessionEnding(rt.reads, sha256(id)) : undefined);
  });

  router.get('/sso/signed-out', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    signedOutPage(rt, ctx);
  });

  router.get('/sso/session', async (ctx) => {
    const { id, rec } = await sessionOf(ctx);
    ctx.set('Cache-Control', 'no-store');
    if (!rec) {
      ctx.status = 401;
      ctx.body = await endedSessionJson(rt, id && sha256(id));
      return;
    }
    ctx.body = sessionView(rec, config);
  });

  router.post('/api/v1/sessions/introspect', async (ctx: Context) => {
    // A bearer API, not a sign-in step: bad input goes on to the JSON problem the other APIs answer.
    const { session } = parseInput(introspectBody, await readJsonObject(ctx, 16_384));
    const rec = await currentSession(rt, session);
    ctx.set('Cache-Control', 'no-store');
    // RFC 7662 spirit: an unknown, ended or revoked session is simply not active.
    if (rec) {
      ctx.body = { active: true, ...sessionView(rec, config), exp: Math.floor(sessionEnd(rec, config) / 1000) } satisfies Introspection;
      return;
    }
    const ending = await sessionEnding(rt.reads, sha256(session));
    ctx.body = (ending ? { active: false, reason: ending.cause } : { active: false }) satisfies Introspection;
  });

  return router;
}

export const sessionOperations: Operation[] = [
  {
    method: 'get',
    path: '/sso/session',
    tag: 'sessions',
    summary: "The browser's own session, for the application's script on the same site",
    description: 'No API token: the session cookie, sent by the browser, is what it checks.',
    responses: {
      200: { description: 'signed in', schema: sessionSchema },
      401: { description: 'not signed in, or the session ended (and why, while that is remembered)', schema: noSessionSchema },
    },
  },
  {
    method: 'post',
    path: '/api/v1/sessions/introspect',
    tag: 'sessions',
    summary: "A session's state, for the application's server",
    body: introspectBody,
    responses: { 200: { description: 'active with its user, or not active', schema: introspectionSchema } },
  },
];
