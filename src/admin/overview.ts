import { listTenants } from '../directory/queries.js';
import type { AdminSection } from './router.js';
import { adminWords, renderAdmin } from './render.js';

const PAGE_SIZE = 50;

/** The console's first page: the tenants, each linked to its page. */
export const overviewSection: AdminSection = {
  nav: { path: '/admin', word: 'overview' },
  routes(router, rt) {
    router.get('/admin', async (ctx) => {
      const asked = typeof ctx.query.page === 'string' ? Number.parseInt(ctx.query.page, 10) : 1;
      const page = Math.min(Math.max(1, asked || 1), 100_000);
      const tenants = await listTenants(rt.reads, { page, pageSize: PAGE_SIZE });
      renderAdmin(ctx, 'overview', { title: adminWords(ctx).overview, tenants: tenants.items, total: tenants.total, page, pages: Math.max(1, Math.ceil(tenants.total / PAGE_SIZE)) });
    });
  },
};
