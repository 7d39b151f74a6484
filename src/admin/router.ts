import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Runtime } from '../runtime.js';
import type { RouterFactory } from '../http/app.js';
import { exactRouter } from '../http/access.js';
import { readForm } from '../http/body.js';
import { viewFile } from '../http/views.js';
import { countLoginAttempt, forgetLoginAttempts } from '../store/adminSessions.js';
import { adminCookie, ADMIN_COOKIE, adminSignedIn, closeAdminSession, cookieValue, formToken, formTokenMatches, LOGIN_COOKIE, openAdminSession, sameText } from './session.js';
import { adminWords, renderAdmin, type AdminState, type NavEntry } from './render.js';
import { fill } from './wording.js';
import { randomBytes } from 'node:crypto';

const FORM_LIMIT_BYTES = 16 * 1024;
/** Sign-in attempts a source address may make per window before it is asked to wait. */
export const LOGIN_ATTEMPTS = 5;
export const LOGIN_WINDOW_MS = 60_000;

/**
 * A part of the console: its link in the navigation (if any) and its routes. Its routes answer only
 * a signed-in admin, and every POST of theirs has had its form token checked; a GET page answers
 * with renderAdmin, a POST reads its form with adminForm.
 */
export interface AdminSection {
  nav?: NavEntry;
  routes(router: Router, rt: Runtime): void;
}

/** The form of a POST, already read by the console's check of its token. */
export const adminForm = (ctx: Context): URLSearchParams => ctx.state.adminForm as URLSearchParams;

/** The console's paths for the list of public paths: what the API token does not guard, the admin session does. */
export const adminPublicPaths = [
  { path: '/admin/login', checks: 'the admin password (timing-safe), at most 5 attempts a minute per source address, and the form token of its page' },
  { path: /^\/admin(?:\/[^/]+)*$/, checks: 'the admin session cookie: without it a page redirects to /admin/login and a POST is refused; every POST also the form token derived from the session' },
];

/** The admin console at /admin: sign-in, sign-out, and the sections' pages behind the admin session. */
export function adminRouter(sections: AdminSection[]): RouterFactory {
  return (rt) => {
    const router = exactRouter();
    const password = rt.config.adminPassword;
    // Without a password (production unset) the console is absent.
    if (password === undefined) return router;
    const cookie = (name: string, value: string, maxAge: number) => adminCookie(rt.config, name, value, maxAge);
    const nav = sections.flatMap((s) => (s.nav ? [s.nav] : []));

    const loginPage = (ctx: Context, message?: string, status = 200) => {
      let value = cookieValue(ctx, LOGIN_COOKIE);
      if (!value) {
        value = randomBytes(32).toString('base64url');
        ctx.append('Set-Cookie', cookie(LOGIN_COOKIE, value, 3600));
      }
      ctx.state.admin = { csrf: formToken(value), nav: [] } satisfies AdminState;
      renderAdmin(ctx, 'login', { title: adminWords(ctx).signInTitle, message }, status);
    };

    router.get('/admin/login', (ctx) => loginPage(ctx));
    router.post('/admin/login', async (ctx) => {
      const form = await readForm(ctx, FORM_LIMIT_BYTES);
      const t = adminWords(ctx);
      if (!formTokenMatches(cookieValue(ctx, LOGIN_COOKIE), form.get('csrf'))) return loginPage(ctx, t.formExpired, 403);
      const now = Date.now();
      const source = ctx.ip || 'unknown';
      const { attempts, windowStart } = await countLoginAttempt(rt.db, source, now, LOGIN_WINDOW_MS);
      if (attempts > LOGIN_ATTEMPTS) {
        const seconds = Math.max(1, Math.ceil((windowStart + LOGIN_WINDOW_MS - now) / 1000));
        ctx.set('Retry-After', String(seconds));
        return loginPage(ctx, fill(t.tooManyAttempts, { seconds }), 429);
      }
      if (!sameText(form.get('password') ?? '', password)) return loginPage(ctx, t.wrongPassword, 401);
      await forgetLoginAttempts(rt.db, source);
      const session = await openAdminSession(rt.db, now);
      ctx.append('Set-Cookie', cookie(ADMIN_COOKIE, session.value, session.maxAgeSeconds));
      ctx.append('Set-Cookie', cookie(LOGIN_COOKIE, '', 0));
      ctx.redirect('/admin');
    });

    // Everything else: the admin session, and on a POST the form token.
    router.use(async (ctx: Context, next: Next) => {
      if (ctx.path === '/admin/login') return next();
      const value = cookieValue(ctx, ADMIN_COOKIE);
      const signedIn = await adminSignedIn(rt.db, value);
      if (ctx.method === 'GET' || ctx.method === 'HEAD') {
        if (!signedIn) return ctx.redirect('/admin/login');
      } else {
        const form = signedIn ? await readForm(ctx, FORM_LIMIT_BYTES) : undefined;
        if (!form || !formTokenMatches(value, form.get('csrf'))) {
          ctx.state.admin = { csrf: '', nav: [] } satisfies AdminState;
          const t = adminWords(ctx);
          return renderAdmin(ctx, 'message', { title: t.refused, message: t.refusedMessage }, 403);
        }
        ctx.state.adminForm = form;
      }
      ctx.state.admin = { csrf: formToken(value!), nav } satisfies AdminState;
      return next();
    });

    router.post('/admin/logout', async (ctx) => {
      await closeAdminSession(rt.db, cookieValue(ctx, ADMIN_COOKIE)!);
      ctx.append('Set-Cookie', cookie(ADMIN_COOKIE, '', 0));
      ctx.redirect('/admin/login');
    });
    const treeScript = viewFile('admin/tree.js');
    router.get('/admin/tree.js', (ctx) => {
      ctx.type = 'text/javascript';
      ctx.body = treeScript;
    });
    for (const section of sections) section.routes(router, rt);
    return router;
  };
}
