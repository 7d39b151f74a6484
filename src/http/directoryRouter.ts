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
  /** Lists: only what changed since then, to reconcile from a snapshot (README "Reconciling"). */
  updatedSince: z
    .string()
    .max(40)
    .transform((v, ctx) => epochMs(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time (2026-01-01T00:00:00Z)' }), z.NEVER))
    .optional(),
  /** Lists: deleted rows too, each with `deleted: true`. */
  includeDeleted: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

/** Milliseconds since the epoch as digits, or an ISO 8601 date-time with its zone. */
function epochMs(v: string): number | undefined {
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

const query = (ctx: Context) => parseInput(pageQuery, ctx.query);

/** The tenant directory, read-only, for the merchant's own application (bearer API_TOKEN). */
export function directoryRouter(rt: Runtime): Router {
  const db = rt.reads;
  const router = exactRouter({ prefix: '/api/v1' });

  /** A tenant's lists with includeDeleted are there for a deleted tenant too: what it had, all deleted. */
  const tenantOr404 = async (ctx: Context, includeDeleted = false) => {
    const tenant = await findTenant(db, ctx.params.tenantId!, query(ctx).instanceId, includeDeleted);
    if (!tenant) throw new NotFound(`tenant ${ctx.params.tenantId} is not in the directory`);
    return tenant;
  };
  const keyOf = (t: { instance_id: string; tenant_id: string }) => ({ instance_id: t.instance_id, tenant_id: t.tenant_id });

  router.get('/tenants', async (ctx) => {
    ctx.body = await listTenants(db, query(ctx));
  });
  router.get('/tenants/:tenantId', async (ctx) => {
    ctx.body = await tenantDetail(db, await tenantOr404(ctx));
  });
  router.get('/tenants/:tenantId/departments', async (ctx) => {
    const q = query(ctx);
    const t = await tenantOr404(ctx, q.includeDeleted);
    if (q.parentCode !== undefined && q.topLevel) throw new BadInput('parentCode and topLevel=true exclude each other');
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listDepartments(db, keyOf(t), q)) };
  });
  router.get('/tenants/:tenantId/users', async (ctx) => {
    const q = query(ctx);
    const t = await tenantOr404(ctx, q.includeDeleted);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...(await listUsers(db, keyOf(t), q)) };
  });
  router.get('/tenants/:tenantId/users/:userName', async (ctx) => {
    const t = await tenantOr404(ctx);
    const user = await findUser(db, keyOf(t), ctx.params.userName!);
    if (!user) throw new NotFound(`user ${ctx.params.userName} is not in tenant ${t.tenant_id}`);
    ctx.body = { instanceId: t.instance_id, tenantId: t.tenant_id, ...user };
  });
  return router;
}
