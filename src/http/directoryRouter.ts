import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { findTenant, findUser, listDepartments, listTenants, listUsers, tenantDetail } from '../directory/queries.js';
import { tenantDepartmentsSchema, tenantDetailSchema, tenantPageSchema, tenantUserSchema, tenantUsersSchema } from '../directory/viewSchemas.js';
import { parseInput } from '../marketplace/validation.js';
import { BadInput, NotFound } from '../errors.js';
import { changeParams, flag, pageParams } from './apiSchemas.js';
import type { Operation } from './openapi.js';

const instanceId = z.string().max(64).optional().describe('the instance to read the tenant under; without it, the one synced most recently');

export const tenantQuery = z.object({ instanceId });
export const tenantsQuery = z.object({ ...pageParams, ...changeParams, instanceId: instanceId.describe('only the tenants of this instance') });
const ofTenantParams = {
  ...pageParams,
  ...changeParams,
  instanceId,
  includeDeleted: flag.optional().describe("true: deleted items too, each item then saying whether it is (`deleted`); a deleted tenant's lists are there too: what it had, all deleted"),
};
export const departmentsQuery = z.object({
  ...ofTenantParams,
  parentCode: z.string().min(1).max(64).optional().describe('only the children of this department'),
  topLevel: flag.optional().describe('true: only those at the top of a path (no live parent), to walk a big tree level by level'),
});
export const usersQuery = z.object({
  ...ofTenantParams,
  appId: z.string().max(64).optional().describe('only the users with an authorization for this app'),
  orgCode: z.string().max(64).optional().describe('only the users of this department'),
});

/** The tenant directory, read-only, for the merchant's own application (bearer API_TOKEN). */
export function directoryRouter(rt: Runtime): Router {
  const db = rt.reads;
  const router = exactRouter({ prefix: '/api/v1' });

  const tenantOr404 = async (ctx: Context, { instanceId, includeDeleted = false }: { instanceId?: string; includeDeleted?: boolean }) => {
    const tenant = await findTenant(db, ctx.params.tenantId!, instanceId, includeDeleted);
    if (!tenant) throw new NotFound(`tenant ${ctx.params.tenantId} is not in the directory`);
    return tenant;
  };
  const keyOf = (t: { instance_id: string; tenant_id: string }) => ({ instance_id: t.instance_id, tenant_id: t.tenant_id });

  router.get('/tenants', async (ctx) => {
    ctx.body = await listTenants(db, parseInput(tenantsQuery, ctx.query));
  });
  router.get('/tenants/:tenantId', async (ctx) => {
    ctx.body = await tenantDetail(db, await tenantOr404(ctx, parseInput(tenantQuery, ctx.query)));
  });
  router.get('/tenants/:tenantId/departments', async (ctx) => {
    const q = parseInput(departmentsQuery, ctx.query);
    const t = await tenantOr404(ctx, q);
    if (q.parentCode !== undefined && q.topLevel) throw new BadInput('parentCode and topLevel=true exclude each other');
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listDepartments(db, keyOf(t), q)) } satisfies z.infer<typeof tenantDepartmentsSchema>;
  });
  router.get('/tenants/:tenantId/users', async (ctx) => {
    const q = parseInput(usersQuery, ctx.query);
    const t = await tenantOr404(ctx, q);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listUsers(db, keyOf(t), q)) } satisfies z.infer<typeof tenantUsersSchema>;
  });
  router.get('/tenants/:tenantId/users/:userName', async (ctx) => {
    const t = await tenantOr404(ctx, parseInput(tenantQuery, ctx.query));
    const user = await findUser(db, keyOf(t), ctx.params.userName!);
    if (!user) throw new NotFound(`user ${ctx.params.userName} is not in tenant ${t.tenant_id}`);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...user } satisfies z.infer<typeof tenantUserSchema>;
  });
  return router;
}

export const directoryOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/tenants',
    tag: 'directory',
    summary: 'The tenants, by tenantId',
    query: tenantsQuery,
    responses: { 200: { description: 'a page of tenants', schema: tenantPageSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/tenants/{tenantId}',
    tag: 'directory',
    summary: 'One tenant, with its instances and apps',
    query: tenantQuery,
    responses: { 200: { description: 'the tenant', schema: tenantDetailSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/tenants/{tenantId}/departments',
    tag: 'directory',
    summary: "The tenant's departments, by orgCode, each with its path from the top",
    query: departmentsQuery,
    responses: { 200: { description: 'a page of departments', schema: tenantDepartmentsSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/tenants/{tenantId}/users',
    tag: 'directory',
    summary: "The tenant's users, by userName, each with its app authorizations",
    query: usersQuery,
    responses: { 200: { description: 'a page of users', schema: tenantUsersSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/tenants/{tenantId}/users/{userName}',
    tag: 'directory',
    summary: 'One user of the tenant',
    query: tenantQuery,
    responses: { 200: { description: 'the user', schema: tenantUserSchema } },
  },
];
