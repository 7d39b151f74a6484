import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { exactRouter } from './access.js';
import { readJsonObject } from './body.js';
import type { Runtime } from '../runtime.js';
import { parseInput } from '../marketplace/validation.js';
import { Conflict, Gone, NotFound } from '../errors.js';
import { EVENT_TYPES, eventBounds } from '../store/events.js';
import { deleteEndpoint, findDelivery, findEndpoint, listDeliveries, listEndpoints, replayEvents, retryDelivery, updateEndpoint } from '../store/webhooks.js';
import { createEndpoint, deliveryView, endpointView, rotateSecret } from '../webhooks/endpoints.js';

/** An endpoint's settings are a few hundred bytes. */
const BODY_LIMIT_BYTES = 65_536;

// Only http(s): the server fetches the URL from its own network (README "Webhooks").
const url = z.string().max(2048).pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }));
const types = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length);
const description = z.string().max(500);

const createBody = z.strictObject({ url, types: types.optional(), description: description.optional() });
const changeBody = z.strictObject({
  url: url.optional(),
  /** null: every type again. */
  types: types.nullable().optional(),
  description: description.nullable().optional(),
  disabled: z.boolean().optional(),
});
const replayBody = z.strictObject({
  /** A cursor as the events API gives one (`next`), or the sequence as a number. */
  after: z.union([z.string().regex(/^\d{1,18}$/, 'must be a cursor: the `next` of the events API'), z.number().int().min(0)]).transform(Number),
});
const deliveriesQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
});

/** Ids are ours (`we_`/`whd_` and 22 base64url characters); anything else names nothing. */
function idOf(ctx: Context, prefix: 'we_' | 'whd_'): string {
  const id = String(ctx.params.id ?? '');
  if (!new RegExp(`^${prefix}[A-Za-z0-9_-]{22}$`).test(id)) throw unknownId(prefix, id);
  return id;
}
const unknownId = (prefix: string, id: string) => new NotFound(`${prefix === 'we_' ? 'webhook endpoint' : 'webhook delivery'} ${id.slice(0, 40)} is unknown`);

async function endpointOf(rt: Runtime, ctx: Context) {
  const id = idOf(ctx, 'we_');
  const row = await findEndpoint(rt.db, id);
  if (!row) throw unknownId('we_', id);
  return row;
}

/**
 * Webhook endpoints and their delivery logs (bearer API_TOKEN). A secret is shown in the answer
 * that makes it (create, rotate-secret) and never again.
 */
export function webhooksRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });

  router.post('/webhook-endpoints', async (ctx) => {
    const input = parseInput(createBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    const created = await createEndpoint(rt, input);
    rt.log.info({ endpointId: created.id, types: created.types }, 'webhook endpoint created');
    ctx.status = 201;
    ctx.body = created;
  });
  router.get('/webhook-endpoints', async (ctx) => {
    ctx.body = { data: (await listEndpoints(rt.db)).map(endpointView) };
  });
  router.get('/webhook-endpoints/:id', async (ctx) => {
    ctx.body = endpointView(await endpointOf(rt, ctx));
  });
  router.patch('/webhook-endpoints/:id', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    const change = parseInput(changeBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    if (change.url !== undefined && row.env_key) throw new Conflict('url: this endpoint is configured by WEBHOOK_URL; change the variable');
    await updateEndpoint(rt.db, row.id, change);
    ctx.body = endpointView((await findEndpoint(rt.db, row.id))!);
  });
  router.delete('/webhook-endpoints/:id', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    if (row.env_key) throw new Conflict('this endpoint is configured by WEBHOOK_URL; unset the variable (or disable the endpoint)');
    await deleteEndpoint(rt.db, row.id);
    rt.log.info({ endpointId: row.id }, 'webhook endpoint deleted');
    ctx.status = 204;
  });
  router.post('/webhook-endpoints/:id/rotate-secret', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    if (row.env_key) throw new Conflict('this endpoint is configured by WEBHOOK_SECRET; set the new secret there (the old one signs on for WEBHOOK_ROTATION_OVERLAP_SECONDS)');
    const rotated = await rotateSecret(rt, row.id);
    if (!rotated) throw unknownId('we_', row.id);
    rt.log.info({ endpointId: row.id }, 'webhook endpoint secret rotated');
    ctx.body = rotated;
  });
  router.get('/webhook-endpoints/:id/deliveries', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    const q = parseInput(deliveriesQuery, ctx.query);
    const { rows, total } = await listDeliveries(rt.db, row.id, q);
    ctx.body = { data: rows.map(deliveryView), page: q.page, pageSize: q.pageSize, total };
  });
  router.post('/webhook-endpoints/:id/replay', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    const { after } = parseInput(replayBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    const { purgedThrough } = await eventBounds(rt.db);
    if (after < purgedThrough) throw new Gone(`after: events up to ${purgedThrough} are past EVENT_RETENTION_DAYS and deleted; replay from ${purgedThrough}`);
    const enqueued = await replayEvents(rt.db, row.id, after);
    rt.log.info({ endpointId: row.id, after, enqueued }, 'webhook events replayed');
    ctx.status = 202;
    ctx.body = { enqueued };
  });
  router.post('/webhook-deliveries/:id/retry', async (ctx) => {
    const id = idOf(ctx, 'whd_');
    const retried = await retryDelivery(rt.db, id);
    if (!retried) throw unknownId('whd_', id);
    if (retried === 'in flight') throw new Conflict('the delivery is being sent now; its outcome shows in the delivery log');
    ctx.status = 202;
    ctx.body = deliveryView(retried);
  });
  router.get('/webhook-deliveries/:id', async (ctx) => {
    const id = idOf(ctx, 'whd_');
    const row = await findDelivery(rt.db, id);
    if (!row) throw unknownId('whd_', id);
    ctx.body = deliveryView(row);
  });
  return router;
}
