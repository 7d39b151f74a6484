import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { instanceView, listInstances } from '../instances/instanceView.js';
import { parseInput } from '../marketplace/validation.js';
import { NotFound } from '../errors.js';

/** A time as epoch milliseconds or ISO 8601 ("2026-12-04T10:00:00Z"), read as epoch ms. */
const instant = z
  .string()
  .transform((v, ctx) => {
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
    if (Number.isFinite(ms)) return ms;
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time' });
    return z.NEVER;
  });

const listQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(['active', 'frozen', 'released']).optional(),
  updatedSince: instant.optional(),
  includeDeleted: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
});

/**
 * GET /api/v1/instances: the instances, a page at a time; GET /api/v1/instances/{instanceId}: one
 * with its lifecycle status, expiry, orders and tenants (bearer API_TOKEN).
 */
export function instanceApiRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });
  router.get('/instances', async (ctx) => {
    ctx.body = await listInstances(rt.reads, parseInput(listQuery, ctx.query));
  });
  router.get('/instances/:instanceId', async (ctx) => {
    const view = await instanceView(rt.reads, ctx.params.instanceId!);
    if (!view) throw new NotFound(`instance ${ctx.params.instanceId} is unknown`);
    ctx.body = view;
  });
  return router;
}
