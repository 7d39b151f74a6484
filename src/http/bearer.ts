import type { Middleware } from 'koa';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Unauthorized } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer-token guard for the merchant-facing API; compares digests so timing tells nothing. */
export function requireBearer(token: string): Middleware {
  const expected = digest(token);
  return async (ctx, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
    if (!m || !timingSafeEqual(digest(m[1]!.trim()), expected)) throw new Unauthorized('a valid API_TOKEN bearer token is required');
    await next();
  };
}
