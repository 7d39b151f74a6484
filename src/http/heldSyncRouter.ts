import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { decideHeld } from '../directory/heldDecisions.js';
import { parseInput } from '../marketplace/validation.js';
import { Gone, NotFound } from '../errors.js';
import { findHeldSync, heldRemovals, listHeldSyncs, type Decision } from '../directory/heldSyncs.js';
import { heldConflictSchema, heldDecisionSchema, heldRemovalsSchema, heldSyncPageSchema, heldSyncSchema } from '../directory/viewSchemas.js';
import { pageParams } from './apiSchemas.js';
import { problemSchema } from './problems.js';
import type { Operation } from './openapi.js';

export const heldSyncsQuery = z.object({
  ...pageParams,
  state: z.enum(['held', 'applied', 'discarded', 'superseded']).optional(),
  tenantId: z.string().max(64).optional(),
  instanceId: z.string().max(64).optional(),
});
export const removalsQuery = z.object(pageParams);
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
  router.get('/held-syncs', async (ctx) => {
    ctx.body = await listHeldSyncs(rt.reads, parseInput(heldSyncsQuery, ctx.query));
  });
  router.get('/held-syncs/:id', async (ctx) => {
    const id = idOf(ctx);
    const found = await findHeldSync(rt.reads, id);
    if (!found) throw unknown(id);
    ctx.body = found;
  });
  router.get('/held-syncs/:id/removals', async (ctx) => {
    const id = idOf(ctx);
    const found = await heldRemovals(rt.reads, id, parseInput(removalsQuery, ctx.query));
    if (!found) throw unknown(id);
    if (!('items' in found)) throw new Gone(`held sync ${id} is ${found.heldSync.state}: what it would have removed is no longer kept`);
    ctx.body = found;
  });

  const decide = (decision: Decision) => async (ctx: Context) => {
    const id = idOf(ctx);
    const outcome = await decideHeld(rt, id, decision, 'api');
    if (outcome.status === 404) throw unknown(id);
    ctx.status = outcome.status;
    ctx.body = {
      ...(outcome.status === 409 ? { error: 'conflict' as const } : {}),
      message: outcome.message,
      heldSync: outcome.heldSync,
      ...(outcome.result ? { sync: { outcome: outcome.result.outcome, ...outcome.result.detail } } : {}),
    } satisfies z.infer<typeof heldDecisionSchema | typeof heldConflictSchema>;
  };
  router.post('/held-syncs/:id/apply', decide('apply'));
  router.post('/held-syncs/:id/discard', decide('discard'));
  return router;
}

const decisionOperation = (decision: Decision, done: string, summary: string): Operation => ({
  method: 'post',
  path: `/api/v1/held-syncs/{id}/${decision}`,
  tag: 'held syncs',
  summary,
  description: 'Repeating the decision already taken answers 200 and changes nothing.',
  responses: {
    200: { description: `the held sync, ${done}`, schema: heldDecisionSchema },
    409: { description: 'decided otherwise before, or superseded by a newer full sync', schema: heldConflictSchema },
  },
});

export const heldSyncOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/held-syncs',
    tag: 'held syncs',
    summary: 'Full department syncs the mass-delete guard held, newest first',
    query: heldSyncsQuery,
    responses: { 200: { description: 'a page of held syncs', schema: heldSyncPageSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/held-syncs/{id}',
    tag: 'held syncs',
    summary: 'One held sync',
    responses: { 200: { description: 'the held sync', schema: heldSyncSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/held-syncs/{id}/removals',
    tag: 'held syncs',
    summary: 'The departments a held sync would remove, by orgCode',
    query: removalsQuery,
    responses: {
      200: { description: 'a page of the departments', schema: heldRemovalsSchema },
      410: { description: 'decided or superseded: what it would have removed is no longer kept', schema: problemSchema },
    },
  },
  decisionOperation('apply', 'applied', 'Apply a held full sync, as the marketplace sent it'),
  decisionOperation('discard', 'discarded', 'Discard a held full sync'),
];
