import Router from '@koa/router';
import type { Middleware } from 'koa';
import { requireBearer } from './bearer.js';

/**
 * Every router matches its paths exactly: case and trailing slashes count. A route is then reached
 * only by the spelling the list of public paths (src/features.ts) is written in, so no other spelling can slip
 * past the credential check into it.
 */
export const exactRouter = (opts: { prefix?: string } = {}) => new Router({ ...opts, sensitive: true, strict: true });

export interface PublicPath {
  path: string | RegExp;
  /** What the route checks itself instead of the API token. */
  checks: string;
}

/** Whether the path, as sent, is on the list of public paths. */
export function isPublicPath(list: PublicPath[], path: string): boolean {
  return list.some((p) => (typeof p.path === 'string' ? p.path === path : p.path.test(path)));
}

/** Lets public paths through and asks every other request for the API token, before any routing. */
export function requireCredential(apiTokens: readonly string[], list: PublicPath[]): Middleware {
  const bearer = requireBearer(apiTokens);
  // ctx.path is the path as sent (not decoded), so each spelling is compared as written.
  return (ctx, next) => (isPublicPath(list, ctx.path) ? next() : bearer(ctx, next));
}
