import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { kitActions } from '../directory/kitActions.js';
import { kitSignature } from '../marketplace/signing.js';
import { findAction } from '../marketplace/action.js';
import { signedCall } from './signedCall.js';

/** POST {base}/produceAPI/v2/{call}: signed with x-sign / x-timestamp / x-nonce (spec §3.3). */
export function kitRouter(rt: Runtime): Router {
  const actions = kitActions(rt);
  const keys = { current: rt.config.kitAccessKey, previous: rt.config.kitAccessKeyPrevious };
  const router = exactRouter({ prefix: `${rt.config.marketplaceBasePath}/produceAPI/v2` });
  router.post(
    '/:call',
    signedCall(rt, {
      channel: 'kit',
      names: { sign: 'x-sign', timestamp: 'x-timestamp', nonce: 'x-nonce' },
      credentials: (ctx) => ({ sign: ctx.get('x-sign'), timestamp: ctx.get('x-timestamp'), nonce: ctx.get('x-nonce') }),
      keys,
      signature: kitSignature,
      actions,
      nameOf: (ctx) => String(ctx.params.call),
      dispatch: (ctx) => findAction(actions, String(ctx.params.call), 'unknown kit interface'),
    }),
  );
  return router;
}
