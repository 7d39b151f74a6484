import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { EVENT_TYPES, eventBounds, readEvents, type EventType } from '../store/events.js';
import { parseInput } from '../marketplace/validation.js';
import { Gone } from '../errors.js';

const eventQuery = z.object({
  /** The `next` of the previous page; absent: from the oldest event kept. */
  after: z.string().regex(/^\d{1,18}$/, 'must be a cursor: the `next` of a previous answer').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  types: z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(EVENT_TYPES, { message: `must be a comma-separated list of ${EVENT_TYPES.join(', ')}` })))
    .optional(),
  tenantId: z.string().max(64).optional(),
  instanceId: z.string().max(64).optional(),
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
    ctx.body = { data, next: String(data.length > 0 ? data[data.length - 1]!.sequence : after) };
  });
  return router;
}
