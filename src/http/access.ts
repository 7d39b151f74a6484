import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Config } from '../config/index.js';
import { requireBearer } from './bearer.js';

/**
 * Every router matches its paths exactly: case and trailing slashes count. A route is then reached
 * only by the spelling the list of public paths below is written in, so no other spelling can slip
 * past the credential check into it.
 */
export const exactRouter = (opts: { prefix?: string } = {}) => new Router({ ...opts, sensitive: true, strict: true });

export interface PublicPath {
  path: string | RegExp;
  /** What the route checks itself instead of the API token. */
  checks: string;
}

/** The one list of paths served without the API token. Every other path needs `Bearer API_TOKEN`. */
export function publicPaths(config: Pick<Config, 'marketplaceBasePath'>): PublicPath[] {
  const base = config.marketplaceBasePath;
  return [
    { path: '/healthz', checks: 'nothing: liveness' },
    { path: '/readyz', checks: 'nothing: readiness' },
    { path: base || '/', checks: 'the marketplace signature of the basic interfaces' },
    { path: new RegExp(`^${base.replaceAll('.', '\\.')}/produceAPI/v2/[^/]+$`), checks: 'the marketplace signature of the kit interfaces' },
    { path: '/sso/login', checks: 'nothing: it only sends the browser to the tenant\'s identity provider' },
    { path: '/sso/callback', checks: 'the authorization code, redeemed at the identity provider' },
    { path: '/sso/switch', checks: 'the session cookie and the switch token of the confirmation page' },
    { path: '/sso/session', checks: 'the session cookie' },
    { path: '/sso/logout', checks: 'the session cookie; the sign-out itself (POST) a same-origin request and the form token of its page' },
    { path: '/sso/account', checks: 'the session cookie: it shows only the signed-in person their own name and enterprise' },
    { path: '/sso/signed-out', checks: 'nothing: a fixed page' },
  ];
}

/** Lets public paths through and asks every other request for the API token, before any routing. */
export function requireCredential(config: Pick<Config, 'marketplaceBasePath' | 'apiToken'>): Middleware {
  const list = publicPaths(config);
  const exact = new Set(list.flatMap((p) => (typeof p.path === 'string' ? [p.path] : [])));
  const patterns = list.flatMap((p) => (p.path instanceof RegExp ? [p.path] : []));
  const bearer = requireBearer(config.apiToken);
  // ctx.path is the path as sent (not decoded), so each spelling is compared as written.
  return (ctx, next) => (exact.has(ctx.path) || patterns.some((re) => re.test(ctx.path)) ? next() : bearer(ctx, next));
}
