import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { migrationsCurrent } from '../store/migrate.js';
import { probeWrite } from '../store/readiness.js';
import { describe } from '../log.js';
import { Deadline } from './deadline.js';

/** A probe gets its answer within this, whatever the database does (probes time out at about 1 s). */
const READINESS_SECONDS = 0.8;

export function healthRouter(rt: Runtime): Router {
  const router = exactRouter();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // One check at a time: a database that hangs gets no pile of probes, each later probe waits on the same one.
  let checking: Promise<boolean> | undefined;
  // The reads go where a long write does not hold them up (SQLite's read connection, see openReads).
  const check = async () => {
    await rt.reads.raw('select 1');
    if (!(await migrationsCurrent(rt.reads))) return false;
    await probeWrite(rt.db);
    return true;
  };
  /** Ready = not shutting down, the database takes a write in time and every migration is applied. */
  router.get('/readyz', async (ctx) => {
    if (rt.stopping.signal.aborted) {
      ctx.status = 503;
      ctx.body = { status: 'shutting down' };
      return;
    }
    checking ??= check().finally(() => (checking = undefined));
    try {
      const current = await new Deadline(Date.now(), READINESS_SECONDS).race(checking, () => {});
      ctx.status = current ? 200 : 503;
      ctx.body = { status: current ? 'ready' : 'migrations pending', database: 'ok' };
    } catch (err) {
      rt.log.warn({ err: describe(err) }, 'readiness check failed');
      ctx.status = 503;
      ctx.body = { status: 'database unreachable or not taking writes' };
    }
  });
  return router;
}
