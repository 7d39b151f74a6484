import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { instanceView, listInstances } from '../instances/instanceView.js';
import { instancePageSchema, instanceSchema } from '../instances/viewSchemas.js';
import { parseInput } from '../marketplace/validation.js';
import { NotFound } from '../errors.js';
import { flag, pageParams, updatedSince } from './apiSchemas.js';
import type { Operation } from './openapi.js';

export const instancesQuery = z.object({
  ...pageParams,
  status: z.enum(['active', 'frozen', 'released']).optional().describe('only the instances in this status'),
  updatedSince: updatedSince.describe('only the instances a lifecycle call changed at or after this time: epoch milliseconds, or ISO 8601 with its zone'),
  includeDeleted: flag.optional().describe('true: released instances too (status=released lists them in any case)'),
});

/**
 * GET /api/v1/instances: the instances, a page at a time; GET /api/v1/instances/{instanceId}: one
 * with its lifecycle status, expiry, orders and tenants (bearer API_TOKEN).
 */
export function instanceApiRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });
  router.get('/instances', async (ctx) => {
    ctx.body = await listInstances(rt.reads, parseInput(instancesQuery, ctx.query));
  });
  router.get('/instances/:instanceId', async (ctx) => {
    const view = await instanceView(rt.reads, ctx.params.instanceId!);
    if (!view) throw new NotFound(`instance ${ctx.params.instanceId} is unknown`);
    ctx.body = view;
  });
  return router;
}

export const instanceOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/instances',
    tag: 'instances',
    summary: 'The instances the lifecycle calls created, by instanceId, each with its tenant count',
    description: 'An instanceId known only from kit calls is not listed (its tenants are in the tenant list).',
    query: instancesQuery,
    responses: { 200: { description: 'a page of instances', schema: instancePageSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/instances/{instanceId}',
    tag: 'instances',
    summary: 'One instance: lifecycle status, expiry, orders and tenants',
    responses: { 200: { description: 'the instance', schema: instanceSchema } },
  },
];
