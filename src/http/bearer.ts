import type { Middleware } from 'koa';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Unauthorized } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token guard for the merchant-facing API. Any of the tokens is accepted (several while the
 * application switches); digests are compared, each of them every time, so timing tells nothing.
 */
export function requireBearer(tokens: readonly string[]): Middleware {
  const expected = tokens.map(digest);
  return async (ctx, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
    const given = m && digest(m[1]!.trim());
    const matches = given ? expected.reduce((found, e) => timingSafeEqual(given, e) || found, false) : false;
    if (!matches) throw new Unauthorized('a valid API_TOKEN bearer token is required');
    await next();
  };
}
