import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Context, Middleware } from 'koa';
import type { Runtime } from '../runtime.js';
import { basicActions } from '../instances/basicActions.js';
import { basicSignature } from '../marketplace/signing.js';
import { invalidParam } from '../marketplace/resultCodes.js';
import { findAction } from '../marketplace/action.js';
import { signedCall } from './signedCall.js';

/** A query parameter given once; a repeated one counts as absent. */
const param = (ctx: Context, name: string) => {
  const v = ctx.query[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Basic answers carry non-ASCII as \uXXXX escapes, as the spec asks of appInfo.memo (§7.2); the
 * JSON means the same to any parser, and Node's JSON.stringify never escapes by itself.
 */
const asciiJson: Middleware = async (ctx, next) => {
  await next();
  if (ctx.body === null || typeof ctx.body !== 'object') return;
  ctx.body = JSON.stringify(ctx.body).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  ctx.type = 'application/json';
};

/** POST {base}: the basic lifecycle calls, signed with signature / timestamp / nonce in the query (spec §3.2). */
export function basicRouter(rt: Runtime): Router {
  const actions = basicActions(rt);
  const keys = { current: rt.config.basicAccessKey, previous: rt.config.basicAccessKeyPrevious };
  const router = exactRouter();
  router.post(
    rt.config.marketplaceBasePath || '/',
    asciiJson,
    signedCall(rt, {
      channel: 'basic',
      names: { sign: 'signature', timestamp: 'timestamp', nonce: 'nonce' },
      credentials: (ctx) => ({ sign: param(ctx, 'signature'), timestamp: param(ctx, 'timestamp'), nonce: param(ctx, 'nonce') }),
      keys,
      signature: basicSignature,
      actions,
      nameOf: (_ctx, body) => (typeof body?.activity === 'string' ? body.activity : 'basic'),
      dispatch: (_ctx, body) => {
        const name = body.activity;
        if (name === undefined || name === null || name === '') throw invalidParam('activity: is required');
        if (typeof name !== 'string') throw invalidParam('activity: must be a string');
        return findAction(actions, name, 'activity: unknown activity');
      },
    }),
  );
  return router;
}
