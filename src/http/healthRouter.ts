import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { migrationsCurrent } from '../store/migrate.js';
import { describe } from '../log.js';

export function healthRouter(rt: Runtime): Router {
  const router = exactRouter();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  /** Ready = not shutting down, the database answers and every migration is applied. */
  router.get('/readyz', async (ctx) => {
    if (rt.stopping.signal.aborted) {
      ctx.status = 503;
      ctx.body = { status: 'shutting down' };
      return;
    }
    try {
      await rt.db.raw('select 1');
      const current = await migrationsCurrent(rt.db);
      ctx.status = current ? 200 : 503;
      ctx.body = { status: current ? 'ready' : 'migrations pending', database: 'ok' };
    } catch (err) {
      rt.log.warn({ err: describe(err) }, 'readiness check failed');
      ctx.status = 503;
      ctx.body = { status: 'database unreachable' };
    }
  });
  return router;
}
