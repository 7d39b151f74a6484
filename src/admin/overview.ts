import { directoryCounts, listTenants } from '../directory/queries.js';
import { instanceCountsByStatus } from '../instances/store.js';
import { activeSessionCount } from '../sso/sessions.js';
import { auditCounts, latestFailures } from '../store/audit.js';
import type { AdminSection } from './router.js';
import { adminWords, pageNumber, renderAdmin } from './render.js';

const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;
const FAILURES = 10;
/** The marketplace's success code, or an HTTP success for the channels that record a status (sso, api, admin). */
const succeeded = (resultCode: string) => resultCode === '000000' || /^[23]\d\d$/.test(resultCode);

/** The console's first page: the figures a merchant checks first, the last day's calls, the latest failures, and the tenants. */
export const overviewSection: AdminSection = {
  nav: { path: '/admin', word: 'overview' },
  routes(router, rt) {
    router.get('/admin', async (ctx) => {
      const page = pageNumber(ctx);
      const now = Date.now();
      const [tenants, directory, instances, sessions, calls, failures] = await Promise.all([
        listTenants(rt.reads, { page, pageSize: PAGE_SIZE }),
        directoryCounts(rt.reads),
        instanceCountsByStatus(rt.reads),
        activeSessionCount(rt.reads, now),
        auditCounts(rt.reads, now - DAY_MS),
        latestFailures(rt.reads, FAILURES),
      ]);
      const most = Math.max(1, ...calls.map((c) => c.calls));
      renderAdmin(ctx, 'overview', {
        title: adminWords(ctx).overview,
        figures: { ...directory, sessions, instances },
        calls: calls.map((c) => ({ ...c, share: c.calls / most, ok: succeeded(c.resultCode) })),
        failures,
        tenants: tenants.items,
        page,
        pages: Math.max(1, Math.ceil(tenants.total / PAGE_SIZE)),
      });
    });
  },
};
