import { z } from 'zod';

/** The query parameters of every paged list of the bearer APIs. */
export const pageParams = {
  page: z.coerce.number().int().min(1).default(1).describe('1-based'),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
};

/** Milliseconds since the epoch as digits, or an ISO 8601 date-time with its zone. */
function epochMs(v: string): number | undefined {
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A `true`/`false` query parameter, read as a boolean. */
export const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Only what changed at or after this time (epoch ms once read). */
export const updatedSince = z
  .string()
  .max(40)
  .transform((v, ctx) => epochMs(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time (2026-01-01T00:00:00Z)' }), z.NEVER))
  .optional();

/** What a receiver reconciling from a directory list asks besides a page (README "Reconciling"). */
export const changeParams = {
  updatedSince: updatedSince.describe('only what changed at or after this time: epoch milliseconds, or ISO 8601 with its zone (2026-01-01T00:00:00Z)'),
  includeDeleted: flag.optional().describe('true: deleted items too, each item then saying whether it is (`deleted`)'),
};
