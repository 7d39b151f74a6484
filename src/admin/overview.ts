import type { AdminSection } from './router.js';
import { adminWords, renderAdmin } from './render.js';

/** The console's first page. */
export const overviewSection: AdminSection = {
  nav: { path: '/admin', word: 'overview' },
  routes(router) {
    router.get('/admin', (ctx) => renderAdmin(ctx, 'overview', { title: adminWords(ctx).overview }));
  },
};
