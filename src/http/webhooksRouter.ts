import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { exactRouter } from './access.js';
import { readJsonObject } from './body.js';
import type { Runtime } from '../runtime.js';
import { httpUrl, parseInput } from '../marketplace/validation.js';
import { Conflict, Gone, NotFound } from '../errors.js';
import { EVENT_TYPES, eventBounds } from '../store/events.js';
import { deleteEndpoint, findDelivery, findEndpoint, listDeliveries, listEndpoints, replayEvents, retryDelivery, updateEndpoint } from '../store/webhooks.js';
import { createEndpoint, deliveryView, endpointView, rotateSecret } from '../webhooks/endpoints.js';
import {
  webhookDeliveryPageSchema,
  webhookDeliverySchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from '../webhooks/viewSchemas.js';
import { pageParams } from './apiSchemas.js';
import { problem, type Operation } from './openapi.js';

/** An endpoint's settings are a few hundred bytes. */
const BODY_LIMIT_BYTES = 65_536;

// Only http(s): the server fetches the URL from its own network (README "Webhooks").
const url = httpUrl(2048);
const types = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length);
const description = z.string().max(500);

export const createEndpointBody = z.strictObject({
  url,
  types: types.optional().describe('the event types to post; without it, every type'),
  description: description.optional(),
});
export const changeEndpointBody = z.strictObject({
  url: url.optional().describe('not for the WEBHOOK_URL endpoint (409)'),
  types: types.nullable().optional().describe('null: every type again'),
  description: description.nullable().optional(),
  disabled: z.boolean().optional().describe('false also forgets a failing spell'),
});
export const replayBody = z.strictObject({
  after: z
    .union([z.string().regex(/^\d{1,18}$/, 'must be a cursor: the `next` of the events API'), z.number().int().min(0)])
    .transform(Number)
    .describe('a cursor as the events API gives one (`next`), or the sequence as a number: the events after it are sent again'),
});
export const deliveriesQuery = z.object({ ...pageParams, status: z.enum(['pending', 'delivered', 'failed']).optional().describe('only the deliveries in this status') });

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
    const input = parseInput(createEndpointBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    const created = await createEndpoint(rt, input);
    rt.log.info({ endpointId: created.id, types: created.types }, 'webhook endpoint created');
    ctx.status = 201;
    ctx.body = created;
  });
  router.get('/webhook-endpoints', async (ctx) => {
    ctx.body = { items: (await listEndpoints(rt.db)).map(endpointView) } satisfies z.infer<typeof webhookEndpointListSchema>;
  });
  router.get('/webhook-endpoints/:id', async (ctx) => {
    ctx.body = endpointView(await endpointOf(rt, ctx));
  });
  router.patch('/webhook-endpoints/:id', async (ctx) => {
    const row = await endpointOf(rt, ctx);
    const change = parseInput(changeEndpointBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
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
    const q = parseInput(deliveriesQuery, ctx.query);
    const row = await endpointOf(rt, ctx);
    const { rows, total } = await listDeliveries(rt.db, row.id, q);
    ctx.body = { items: rows.map(deliveryView), page: q.page, pageSize: q.pageSize, total } satisfies z.infer<typeof webhookDeliveryPageSchema>;
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

const fromEnvironment = problem('the endpoint is the WEBHOOK_URL one: change the variables instead');

export const webhookOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/webhook-endpoints',
    tag: 'webhooks',
    summary: 'Add an endpoint; its secret is in this answer only',
    body: createEndpointBody,
    responses: { 201: { description: 'the endpoint, with its secret', schema: webhookEndpointWithSecretSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/webhook-endpoints',
    tag: 'webhooks',
    summary: 'Every endpoint, the WEBHOOK_URL one too',
    responses: { 200: { description: 'the endpoints', schema: webhookEndpointListSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/webhook-endpoints/{id}',
    tag: 'webhooks',
    summary: 'One endpoint',
    responses: { 200: { description: 'the endpoint', schema: webhookEndpointSchema } },
  },
  {
    method: 'patch',
    path: '/api/v1/webhook-endpoints/{id}',
    tag: 'webhooks',
    summary: 'Change, disable or enable an endpoint',
    body: changeEndpointBody,
    responses: { 200: { description: 'the endpoint after the change', schema: webhookEndpointSchema }, 409: fromEnvironment },
  },
  {
    method: 'delete',
    path: '/api/v1/webhook-endpoints/{id}',
    tag: 'webhooks',
    summary: 'Remove an endpoint and its delivery log',
    responses: { 204: { description: 'removed' }, 409: fromEnvironment },
  },
  {
    method: 'post',
    path: '/api/v1/webhook-endpoints/{id}/rotate-secret',
    tag: 'webhooks',
    summary: 'A new secret; the old one signs on for WEBHOOK_ROTATION_OVERLAP_SECONDS',
    responses: { 200: { description: 'the endpoint, with its new secret', schema: webhookEndpointWithSecretSchema }, 409: fromEnvironment },
  },
  {
    method: 'get',
    path: '/api/v1/webhook-endpoints/{id}/deliveries',
    tag: 'webhooks',
    summary: "The endpoint's delivery log, the latest event first",
    query: deliveriesQuery,
    responses: { 200: { description: 'a page of deliveries', schema: webhookDeliveryPageSchema } },
  },
  {
    method: 'post',
    path: '/api/v1/webhook-endpoints/{id}/replay',
    tag: 'webhooks',
    summary: 'Send the kept events after a cursor again, from their first attempt',
    body: replayBody,
    responses: {
      202: { description: 'how many deliveries were enqueued', schema: z.object({ enqueued: z.number().int().min(0) }) },
      410: problem('the events after the cursor are past EVENT_RETENTION_DAYS; the message says where to replay from'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/webhook-deliveries/{id}/retry',
    tag: 'webhooks',
    summary: 'Send one delivery again, at once, from its first attempt',
    responses: {
      202: { description: 'the delivery, pending again', schema: webhookDeliverySchema },
      409: problem('the delivery is being sent now'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/webhook-deliveries/{id}',
    tag: 'webhooks',
    summary: 'One delivery',
    responses: { 200: { description: 'the delivery', schema: webhookDeliverySchema } },
  },
];
