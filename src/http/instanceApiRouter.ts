import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { instanceView } from '../instances/instanceView.js';
import { instanceSchema } from '../instances/viewSchemas.js';
import { NotFound } from '../errors.js';
import type { Operation } from './openapi.js';

/** GET /api/v1/instances/{instanceId}: lifecycle status, expiry, orders and tenants (bearer API_TOKEN). */
export function instanceApiRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1/instances' });
  router.get('/:instanceId', async (ctx) => {
    const view = await instanceView(rt.reads, ctx.params.instanceId!);
    if (!view) throw new NotFound(`instance ${ctx.params.instanceId} is unknown`);
    ctx.body = view;
  });
  return router;
}

export const instanceOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/instances/{instanceId}',
    tag: 'instances',
    summary: 'One instance: lifecycle status, expiry, orders and tenants',
    responses: { 200: { description: 'the instance', schema: instanceSchema } },
  },
];
