import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { findTenant, findUser, listDepartments, listTenants, listUsers, tenantDetail } from '../directory/queries.js';
import { parseInput } from '../marketplace/validation.js';
import { BadInput, NotFound } from '../errors.js';

const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  instanceId: z.string().max(64).optional(),
  appId: z.string().max(64).optional(),
  orgCode: z.string().max(64).optional(),
  /** Departments: the children of this one… */
  parentCode: z.string().min(1).max(64).optional(),
  /** …or those at the top of a path (no live parent), to walk a big tree level by level. */
  topLevel: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

const query = (ctx: Context) => parseInput(pageQuery, ctx.query);

/** The tenant directory, read-only, for the merchant's own application (bearer API_TOKEN). */
export function directoryRouter(rt: Runtime): Router {
  const db = rt.reads;
  const router = exactRouter({ prefix: '/api/v1' });

  const tenantOr404 = async (ctx: Context) => {
    const tenant = await findTenant(db, ctx.params.tenantId!, query(ctx).instanceId);
    if (!tenant) throw new NotFound(`tenant ${ctx.params.tenantId} is not in the directory`);
    return tenant;
  };
  const keyOf = (t: { instance_id: string; tenant_id: string }) => ({ instance_id: t.instance_id, tenant_id: t.tenant_id });

  router.get('/tenants', async (ctx) => {
    const q = query(ctx);
    ctx.body = await listTenants(db, q, q.instanceId);
  });
  router.get('/tenants/:tenantId', async (ctx) => {
    ctx.body = await tenantDetail(db, await tenantOr404(ctx));
  });
  router.get('/tenants/:tenantId/departments', async (ctx) => {
    const t = await tenantOr404(ctx);
    const q = query(ctx);
    if (q.parentCode !== undefined && q.topLevel) throw new BadInput('parentCode and topLevel=true exclude each other');
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listDepartments(db, keyOf(t), q)) };
  });
  router.get('/tenants/:tenantId/users', async (ctx) => {
    const t = await tenantOr404(ctx);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listUsers(db, keyOf(t), query(ctx))) };
  });
  router.get('/tenants/:tenantId/users/:userName', async (ctx) => {
    const t = await tenantOr404(ctx);
    const user = await findUser(db, keyOf(t), ctx.params.userName!);
    if (!user) throw new NotFound(`user ${ctx.params.userName} is not in tenant ${t.tenant_id}`);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...user };
  });
  return router;
}
