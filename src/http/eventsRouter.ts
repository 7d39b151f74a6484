import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { EVENT_TYPES, directoryEventSchema, eventBounds, readEvents, type EventType } from '../store/events.js';
import { parseInput } from '../marketplace/validation.js';
import { Gone } from '../errors.js';
import { problemSchema } from './problems.js';
import type { Operation } from './openapi.js';

export const eventQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a cursor: the `next` of a previous answer')
    .optional()
    .describe('the `next` of the previous page; absent: from the oldest event kept'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  types: z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(EVENT_TYPES, { message: `must be a comma-separated list of ${EVENT_TYPES.join(', ')}` })))
    .optional()
    .describe(`only these types, comma-separated: ${EVENT_TYPES.join(', ')}`),
  tenantId: z.string().max(64).optional().describe("only this tenant's events"),
  instanceId: z.string().max(64).optional().describe("only this instance's events"),
});

export const eventPageSchema = z.object({
  data: z.array(directoryEventSchema).describe('in sequence (commit) order'),
  next: z.string().describe('the cursor to ask with next time (`after`); an empty page keeps it where it was'),
});

/**
 * GET /api/v1/events: what changed, in commit order, from a cursor (bearer API_TOKEN). A receiver
 * keeps `next` and asks again with it; an empty page keeps the cursor where it was.
 */
export function eventsRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });
  router.get('/events', async (ctx) => {
    const q = parseInput(eventQuery, ctx.query);
    const after = q.after === undefined ? 0 : Number(q.after);
    const { purgedThrough } = await eventBounds(rt.reads);
    // Events after this cursor were deleted unread: following it would silently miss them.
    if (q.after !== undefined && after < purgedThrough) {
      throw new Gone(`after: events up to ${purgedThrough} are past EVENT_RETENTION_DAYS and deleted; reconcile from the directory API (updatedSince, includeDeleted), then follow from ${purgedThrough}`);
    }
    const data = await readEvents(rt.reads, { after, limit: q.limit, types: q.types as EventType[] | undefined, tenantId: q.tenantId, instanceId: q.instanceId });
    ctx.body = { data, next: String(data.length > 0 ? data[data.length - 1]!.sequence : after) } satisfies z.infer<typeof eventPageSchema>;
  });
  return router;
}

export const eventOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/events',
    tag: 'events',
    summary: 'What changed, in commit order, from a cursor',
    query: eventQuery,
    responses: {
      200: { description: 'the events after the cursor', schema: eventPageSchema },
      410: { description: 'events after the cursor were deleted unread (EVENT_RETENTION_DAYS): reconcile from the directory API', schema: problemSchema },
    },
  },
];
