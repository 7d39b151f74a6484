import type { Context } from 'koa';
import { activeSessions, revokeByAdmin, type SessionOwner } from '../sso/sessions.js';
import { adminForm, type AdminSection } from './router.js';
import { adminWords, renderAdmin } from './render.js';
import { fill } from './wording.js';

const ID = /^[A-Za-z0-9._:@-]{1,64}$/;
const USER = /^.{1,128}$/s;

/** A tenant (and maybe a user) named by query or form fields; undefined when a field is malformed. */
function ownerOf(get: (name: string) => string | null | undefined): SessionOwner | undefined {
  const [instanceId, tenantId, userName] = [get('instanceId'), get('tenantId'), get('userName') || undefined];
  if (!instanceId || !tenantId || !ID.test(instanceId) || !ID.test(tenantId) || (userName !== undefined && !USER.test(userName))) return undefined;
  return { instanceId, tenantId, userName };
}

const query = (ctx: Context) => (name: string) => {
  const v = ctx.query[name];
  return typeof v === 'string' ? v : undefined;
};

/** The signed-in SSO sessions of a tenant or user, and their revocation. */
export const sessionsSection: AdminSection = {
  nav: { path: '/admin/sessions', word: 'sessions' },
  routes(router, rt) {
    router.get('/admin/sessions', async (ctx) => {
      const t = adminWords(ctx);
      const who = ownerOf(query(ctx));
      const sessions = who ? await activeSessions(rt.reads, who, Date.now()) : [];
      const revoked = query(ctx)('revoked');
      renderAdmin(ctx, 'sessions', { title: t.sessions, who, sessions, message: revoked && /^\d+$/.test(revoked) ? fill(t.revoked, { count: revoked }) : undefined });
    });
    router.post('/admin/sessions/revoke', async (ctx) => {
      const form = adminForm(ctx);
      const who = ownerOf((n) => form.get(n));
      const idHash = form.get('idHash') || undefined;
      if (!who || (idHash !== undefined && !/^[0-9a-f]{64}$/.test(idHash)) || (idHash === undefined && who.userName === undefined)) {
        ctx.status = 400;
        ctx.body = 'instanceId, tenantId and userName or idHash are required';
        return;
      }
      const ended = await revokeByAdmin(rt.db, { ...who, idHash });
      const back = new URLSearchParams({ instanceId: who.instanceId, tenantId: who.tenantId, ...(who.userName && { userName: who.userName }), revoked: String(ended) });
      ctx.redirect(`/admin/sessions?${back}`);
    });
  },
};
