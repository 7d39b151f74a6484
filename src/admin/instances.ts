import { instanceView, listInstances } from '../instances/instanceView.js';
import type { InstanceStatus } from '../instances/store.js';
import type { AdminSection } from './router.js';
import { adminWords, pageNumber, renderAdmin } from './render.js';

const PAGE_SIZE = 50;
const STATUSES: InstanceStatus[] = ['active', 'frozen', 'released'];

/** The instances: a list by status with expiry, and each one's orders, tenants and a link to its calls. */
export const instancesSection: AdminSection = {
  nav: { path: '/admin/instances', word: 'instances' },
  routes(router, rt) {
    router.get('/admin/instances', async (ctx) => {
      const asked = ctx.query.status;
      const status = STATUSES.find((s) => s === asked);
      const page = pageNumber(ctx);
      const list = await listInstances(rt.reads, { page, pageSize: PAGE_SIZE, status, includeDeleted: true });
      renderAdmin(ctx, 'instances', { title: adminWords(ctx).instances, instances: list.items, statuses: STATUSES, status, page, pages: Math.max(1, Math.ceil(list.total / PAGE_SIZE)), total: list.total });
    });
    router.get('/admin/instances/:instanceId', async (ctx) => {
      const t = adminWords(ctx);
      const view = await instanceView(rt.reads, ctx.params.instanceId!);
      if (!view) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      renderAdmin(ctx, 'instance', { title: `${t.instance} ${view.instanceId}`, instance: view });
    });
  },
};
