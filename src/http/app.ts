import Koa from 'koa';
import type Router from '@koa/router';
import type { Runtime } from '../runtime.js';
import { describe } from './signedCall.js';
import { healthRouter } from './healthRouter.js';
import { kitRouter } from './kitRouter.js';
import { directoryRouter } from './directoryRouter.js';
import { Metrics, metricsRouter } from './metrics.js';

/** Routers a feature adds (the lifecycle calls, SSO) beside the kit calls and the directory API. */
export type RouterFactory = (rt: Runtime) => Router;

export function createApp(rt: Runtime, extraRouters: RouterFactory[] = []): Koa {
  const app = new Koa({ proxy: process.env.TRUST_PROXY === 'true' });
  const metrics = new Metrics();
  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status < 500) {
        ctx.status = status;
        ctx.body = { error: ctx.status === 404 ? 'not_found' : 'bad_request', message: (err as Error).message };
      } else {
        rt.log.error({ err: describe(err), path: ctx.path }, 'request failed');
        ctx.status = 500;
        ctx.body = { error: 'internal_error' };
      }
    } finally {
      const audit = ctx.state.audit as { callName?: string; resultCode?: string } | undefined;
      // Marketplace calls are rare and worth a line each; reads of the directory API only at debug.
      rt.log[audit ? 'info' : 'debug'](
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started), call: audit?.callName, resultCode: audit?.resultCode },
        'request',
      );
    }
  });
  app.use(metrics.middleware());
  for (const make of [healthRouter, metricsRouter(metrics), kitRouter, directoryRouter, ...extraRouters]) {
    const router = make(rt);
    app.use(router.routes()).use(router.allowedMethods());
  }
  return app;
}
