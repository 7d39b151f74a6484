import type { Context } from 'koa';
import { findTenant, findUser, listDepartments, listUsers, tenantDetail } from '../directory/queries.js';
import type { AdminSection } from './router.js';
import { adminWords, pageNumber, renderAdmin } from './render.js';

const PAGE_SIZE = 50;
/** The first level and each opened department show this many children; more are paged by link. */
const CHILDREN_PAGE = 200;

const text = (ctx: Context, name: string) => {
  const v = ctx.query[name];
  return typeof v === 'string' && v !== '' && v.length <= 128 ? v : undefined;
};

/** One level of the tree as the templates show it, with the link to its next page when more follow. */
function treeLevel(base: string, level: { items: unknown[]; total: number }, parentCode: string | undefined, page: number) {
  const next = new URLSearchParams({ ...(parentCode === undefined ? {} : { parentCode }), page: String(page + 1) });
  return { base, departments: level.items, moreHref: level.total > page * CHILDREN_PAGE ? `${base}/departments?${next}` : undefined };
}

/** A tenant: its apps, its users with their authorizations, and its department tree opened level by level. */
export const tenantSection: AdminSection = {
  routes(router, rt) {
    router.get('/admin/tenants/:instanceId/:tenantId', async (ctx) => {
      const { instanceId, tenantId } = ctx.params as { instanceId: string; tenantId: string };
      const tenant = await findTenant(rt.reads, tenantId, instanceId);
      const t = adminWords(ctx);
      if (!tenant) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      const key = { instance_id: instanceId, tenant_id: tenantId };
      const search = text(ctx, 'user');
      const page = pageNumber(ctx);
      // A search names a user exactly (the directory API's look-up); else the users page by page.
      const users = search !== undefined
        ? await findUser(rt.reads, key, search).then((u) => ({ items: u ? [u] : [], total: u ? 1 : 0 }))
        : await listUsers(rt.reads, key, { page, pageSize: PAGE_SIZE });
      const [detail, top] = await Promise.all([tenantDetail(rt.reads, tenant), listDepartments(rt.reads, key, { topLevel: true, page: 1, pageSize: CHILDREN_PAGE, exactTotal: false })]);
      renderAdmin(ctx, 'tenant', {
        title: `${t.tenant} ${detail.name}`, tenant: detail, users: users.items, total: users.total, search, page, pages: Math.max(1, Math.ceil(users.total / PAGE_SIZE)),
        ...treeLevel(`/admin/tenants/${encodeURIComponent(instanceId)}/${encodeURIComponent(tenantId)}`, top, undefined, 1), script: '/admin/tree.js',
      });
    });
    // The children of one department (without parentCode: the first level), a page at a time: an HTML
    // fragment the tree fetches when it is opened, or a page without the script.
    router.get('/admin/tenants/:instanceId/:tenantId/departments', async (ctx) => {
      const { instanceId, tenantId } = ctx.params as { instanceId: string; tenantId: string };
      const parentCode = text(ctx, 'parentCode');
      const t = adminWords(ctx);
      if (!(await findTenant(rt.reads, tenantId, instanceId))) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      const key = { instance_id: instanceId, tenant_id: tenantId };
      const page = pageNumber(ctx);
      const level = parentCode === undefined ? { topLevel: true } : { parentCode };
      const children = await listDepartments(rt.reads, key, { ...level, page, pageSize: CHILDREN_PAGE, exactTotal: false });
      const base = `/admin/tenants/${encodeURIComponent(instanceId)}/${encodeURIComponent(tenantId)}`;
      const data = { title: t.departmentTree, ...treeLevel(base, children, parentCode, page), parentCode };
      renderAdmin(ctx, text(ctx, 'fragment') === '1' ? 'departmentsFragment' : 'departments', data);
    });
  },
};
