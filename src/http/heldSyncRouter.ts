import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { kitActions } from '../directory/kitActions.js';
import { parseInput } from '../marketplace/validation.js';
import { Gone, NotFound } from '../errors.js';
import { decideHeldSync, findHeldSync, heldRemovals, listHeldSyncs, type Decision, type FullSyncRunner } from '../directory/heldSyncs.js';

const listQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  state: z.enum(['held', 'applied', 'discarded', 'superseded']).optional(),
  tenantId: z.string().max(64).optional(),
  instanceId: z.string().max(64).optional(),
});

const query = (ctx: Context) => parseInput(listQuery, ctx.query);
const unknown = (id: number | string) => new NotFound(`held sync ${id} is unknown`);

/** Ids are positive integers; anything else names no held sync. */
function idOf(ctx: Context): number {
  const id = /^[1-9]\d{0,9}$/.test(ctx.params.id ?? '') ? Number(ctx.params.id) : NaN;
  if (!Number.isSafeInteger(id)) throw unknown(String(ctx.params.id).slice(0, 20));
  return id;
}

/**
 * Full department syncs the mass-delete guard held (bearer API_TOKEN): the list, what one would
 * remove, and the merchant's decision to apply or discard it.
 */
export function heldSyncRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });
  // The marketplace's allOrgSync with its guards (released instance, deleted tenant, times), the mass-delete guard off.
  const fullSync = kitActions(rt, null).allOrgSync!;
  const runFullSync: FullSyncRunner = async (trx, body, request) => {
    const result = await fullSync.execute(trx, body, request);
    await rt.changes.applyInTransaction(trx, result.changes, result);
    return result;
  };

  router.get('/held-syncs', async (ctx) => {
    ctx.body = await listHeldSyncs(rt.reads, query(ctx));
  });
  router.get('/held-syncs/:id', async (ctx) => {
    const id = idOf(ctx);
    const found = await findHeldSync(rt.reads, id);
    if (!found) throw unknown(id);
    ctx.body = found;
  });
  router.get('/held-syncs/:id/removals', async (ctx) => {
    const id = idOf(ctx);
    const found = await heldRemovals(rt.reads, id, query(ctx));
    if (!found) throw unknown(id);
    if (!('items' in found)) throw new Gone(`held sync ${id} is ${found.heldSync.state}: what it would have removed is no longer kept`);
    ctx.body = found;
  });

  const decide = (decision: Decision) => async (ctx: Context) => {
    const id = idOf(ctx);
    const outcome = await decideHeldSync(rt.db, id, decision, runFullSync);
    if (outcome.status === 404) throw unknown(id);
    if (outcome.result) rt.changes.committed(outcome.result.changes);
    rt.log.info({ heldSyncId: id, decision, status: outcome.status, state: outcome.heldSync.state, tenantId: outcome.heldSync.tenantId }, `held full sync: ${outcome.message}`);
    ctx.status = outcome.status;
    ctx.body = {
      ...(outcome.status === 409 ? { error: 'conflict' } : {}),
      message: outcome.message,
      heldSync: outcome.heldSync,
      ...(outcome.result ? { sync: { outcome: outcome.result.outcome, ...outcome.result.detail } } : {}),
    };
  };
  router.post('/held-syncs/:id/apply', decide('apply'));
  router.post('/held-syncs/:id/discard', decide('discard'));
  return router;
}
