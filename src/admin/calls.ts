import type { Context } from 'koa';
import { auditEntry, listAudit, type AuditCursor, type AuditFilter } from '../store/audit.js';
import type { AdminSection } from './router.js';
import { adminWords, renderAdmin } from './render.js';

const PAGE = 50;
const TEXT = /^[A-Za-z0-9._:@-]{1,64}$/;

const text = (ctx: Context, name: string) => {
  const v = ctx.query[name];
  return typeof v === 'string' && TEXT.test(v) ? v : undefined;
};

/** A datetime-local field (read as UTC) as epoch ms. */
const time = (ctx: Context, name: string) => {
  const v = ctx.query[name];
  const ms = typeof v === 'string' && v !== '' ? Date.parse(`${v}Z`) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

/** "at.id" of the last row of the page before. */
const cursorOf = (ctx: Context): AuditCursor | undefined => {
  const m = typeof ctx.query.after === 'string' ? /^(\d{1,15})\.(\d{1,15})$/.exec(ctx.query.after) : null;
  return m ? { at: Number(m[1]), id: Number(m[2]) } : undefined;
};

/** The audit log of marketplace calls, filtered and paged, and one call with its diagnosis. */
export const callsSection: AdminSection = {
  nav: { path: '/admin/calls', word: 'calls' },
  routes(router, rt) {
    router.get('/admin/calls', async (ctx) => {
      const filter: AuditFilter = {
        channel: text(ctx, 'channel'),
        callName: text(ctx, 'callName'),
        resultCode: text(ctx, 'resultCode'),
        tenantId: text(ctx, 'tenantId'),
        instanceId: text(ctx, 'instanceId'),
        since: time(ctx, 'since'),
        until: time(ctx, 'until'),
      };
      const { items, next } = await listAudit(rt.reads, filter, PAGE, cursorOf(ctx));
      const query = new URLSearchParams(Object.entries(ctx.query).flatMap(([k, v]): Array<[string, string]> => (typeof v === 'string' && v !== '' && k !== 'after' ? [[k, v]] : [])));
      if (next) query.set('after', `${next.at}.${next.id}`);
      renderAdmin(ctx, 'calls', { title: adminWords(ctx).calls, filter: ctx.query, items, nextLink: next ? `/admin/calls?${query}` : undefined });
    });
    router.get('/admin/calls/:id', async (ctx) => {
      const id = /^\d{1,15}$/.test(ctx.params.id!) ? Number(ctx.params.id) : undefined;
      const call = id === undefined ? undefined : await auditEntry(rt.reads, id);
      const t = adminWords(ctx);
      if (!call) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      renderAdmin(ctx, 'call', { title: `${t.call} ${call.id}`, call });
    });
  },
};
