import { findDelivery, findEndpoint, listDeliveries, listEndpoints, retryDelivery } from '../store/webhooks.js';
import { deliveryView, endpointView } from '../webhooks/endpoints.js';
import type { AdminSection } from './router.js';
import { adminWords, pageNumber, renderAdmin } from './render.js';
import { fill } from './wording.js';

const PAGE_SIZE = 50;
// The ids the store makes (see newEndpointId): anything else names nothing.
const ENDPOINT_ID = /^we_[A-Za-z0-9_-]{22}$/;
const DELIVERY_ID = /^whd_[A-Za-z0-9_-]{22}$/;

/** Webhook endpoints (never their secrets), each one's delivery log, and a failed delivery sent again. */
export const webhooksSection: AdminSection = {
  nav: { path: '/admin/webhooks', word: 'webhooks' },
  routes(router, rt) {
    router.get('/admin/webhooks', async (ctx) => {
      const endpoints = (await listEndpoints(rt.db)).map(endpointView);
      renderAdmin(ctx, 'webhooks', { title: adminWords(ctx).webhooks, endpoints });
    });
    router.get('/admin/webhooks/:id', async (ctx) => {
      const t = adminWords(ctx);
      const row = ENDPOINT_ID.test(ctx.params.id!) ? await findEndpoint(rt.db, ctx.params.id!) : undefined;
      if (!row) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      const page = pageNumber(ctx);
      const { rows, total } = await listDeliveries(rt.db, row.id, { page, pageSize: PAGE_SIZE });
      const { retried, inFlight } = ctx.query;
      const message =
        typeof retried === 'string' && DELIVERY_ID.test(retried) ? fill(t.retried, { id: retried })
        : typeof inFlight === 'string' && DELIVERY_ID.test(inFlight) ? fill(t.retryInFlight, { id: inFlight })
        : undefined;
      renderAdmin(ctx, 'webhook', {
        title: `${t.endpoint} ${row.id}`, endpoint: endpointView(row), deliveries: rows.map(deliveryView), message,
        page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)), total,
      });
    });
    // The API's retry (POST /api/v1/webhook-deliveries/{id}/retry): from its first attempt, at once.
    router.post('/admin/webhooks/deliveries/:id/retry', async (ctx) => {
      const t = adminWords(ctx);
      const retried = DELIVERY_ID.test(ctx.params.id!) ? await retryDelivery(rt.db, ctx.params.id!) : undefined;
      if (!retried) return renderAdmin(ctx, 'message', { title: t.notFound, message: t.notFoundMessage }, 404);
      if (retried === 'in flight') {
        const held = (await findDelivery(rt.db, ctx.params.id!))!;
        return ctx.redirect(`/admin/webhooks/${encodeURIComponent(held.endpoint_id)}?inFlight=${encodeURIComponent(held.id)}`);
      }
      rt.log.info({ deliveryId: retried.id, endpointId: retried.endpoint_id }, 'webhook delivery retried from the admin console');
      ctx.redirect(`/admin/webhooks/${encodeURIComponent(retried.endpoint_id)}?retried=${encodeURIComponent(retried.id)}`);
    });
  },
};
