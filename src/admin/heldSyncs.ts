import type { Context } from 'koa';
import { decideHeld } from '../directory/heldDecisions.js';
import { heldRemovals, listHeldSyncs, type Decision } from '../directory/heldSyncs.js';
import type { HeldState } from '../store/rows.js';
import type { AdminSection } from './router.js';
import { adminWords, pageNumber, renderAdmin } from './render.js';
import { fill } from './wording.js';

const PAGE_SIZE = 50;
const STATES: HeldState[] = ['held', 'applied', 'discarded', 'superseded'];

/** Held syncs are numbered from 1; anything else names none. */
const idOf = (ctx: Context) => (/^[1-9]\d{0,9}$/.test(ctx.params.id ?? '') ? Number(ctx.params.id) : undefined);

/** Full syncs the mass-delete guard held: the list, what one would remove, and the merchant's decision. */
export const heldSyncsSection: AdminSection = {
  nav: { path: '/admin/held-syncs', word: 'heldSyncs' },
  routes(router, rt) {
    router.get('/admin/held-syncs', async (ctx) => {
      const state = STATES.find((s) => s === ctx.query.state);
      const page = pageNumber(ctx);
      const list = await listHeldSyncs(rt.db, { page, pageSize: PAGE_SIZE, state });
      renderAdmin(ctx, 'heldSyncs', { title: adminWords(ctx).heldSyncs, heldSyncs: list.items, states: STATES, state, page, pages: Math.max(1, Math.ceil(list.total / PAGE_SIZE)), total: list.total });
    });
    router.get('/admin/held-syncs/:id', async (ctx) => {
      const t = adminWords(ctx);
      const id = idOf(ctx);
      const page = pageNumber(ctx);
      const found = id === undefined ? undefined : await heldRemovals(rt.db, id, { page, pageSize: PAGE_SIZE });
      if (!found) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      const held = found.heldSync;
      const said = ctx.query.decided;
      const message = said === 'done' ? fill(t.heldDone, { id: held.id, state: t[held.state] }) : said === 'conflict' ? fill(t.heldConflict, { id: held.id, state: t[held.state] }) : undefined;
      renderAdmin(ctx, 'heldSync', {
        title: `${t.heldSync} ${held.id}`, held, message,
        removals: 'items' in found ? found.items : undefined, page, pages: Math.max(1, Math.ceil(held.wouldRemove / PAGE_SIZE)),
      });
    });
    const decide = (decision: Decision) => async (ctx: Context) => {
      const t = adminWords(ctx);
      const id = idOf(ctx);
      const outcome = id === undefined ? undefined : await decideHeld(rt, id, decision, 'admin');
      if (!outcome || outcome.status === 404) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      ctx.redirect(`/admin/held-syncs/${id}?decided=${outcome.status === 200 ? 'done' : 'conflict'}`);
    };
    router.post('/admin/held-syncs/:id/apply', decide('apply'));
    router.post('/admin/held-syncs/:id/discard', decide('discard'));
  },
};
