import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { describe, type Logger } from '../log.js';
import { BadInput, Conflict, Gone, NotFound, TooLarge, Unauthorized } from '../errors.js';

/** A refusal of the bearer APIs, as the OpenAPI document shows it. */
export const problemSchema = z
  .object({
    error: z.enum(['bad_request', 'too_large', 'unauthorized', 'not_found', 'conflict', 'gone']).describe('what programs branch on'),
    message: z.string().describe('for people: names the offending field first'),
  })
  .meta({ id: 'Problem', description: 'Why the request was refused' });
type ProblemCode = z.infer<typeof problemSchema>['error'];

/** Each neutral error's HTTP status and the `error` code programs branch on; the first class that matches wins. */
const PROBLEMS: Array<[abstract new (message: string) => Error, number, ProblemCode]> = [
  [TooLarge, 413, 'too_large'],
  [BadInput, 400, 'bad_request'],
  [Unauthorized, 401, 'unauthorized'],
  [NotFound, 404, 'not_found'],
  [Conflict, 409, 'conflict'],
  [Gone, 410, 'gone'],
];

/**
 * The one place the bearer APIs' refusals (directory, instances, held syncs, metrics,
 * introspection) and the edge's (a malformed Host, a missing token) are answered: always
 * `{error, message}` JSON. Koa's own 4xx (a path it cannot decode) take the same shape. Anything
 * else is a fault: logged, and answered 500 without detail. The marketplace and sign-in routes
 * answer their refusals themselves, so only their faults arrive here.
 */
export function problems(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      render(ctx, err, log);
    }
  };
}

function render(ctx: Context, err: unknown, log: Logger): void {
  // The no-store middleware sets its header after the handler returns, which a throw skips.
  ctx.set('Cache-Control', 'no-store');
  const known = PROBLEMS.find(([kind]) => err instanceof kind);
  if (known) {
    const [, status, error] = known;
    // Only the API token check refuses as unauthorized, so the challenge always names it.
    if (status === 401) ctx.set('WWW-Authenticate', 'Bearer');
    answer(ctx, status, error, (err as Error).message);
    return;
  }
  const status = (err as { status?: number }).status;
  if (status && status < 500) {
    answer(ctx, status, status === 404 ? 'not_found' : 'bad_request', (err as Error).message);
    return;
  }
  log.error({ err: describe(err), path: ctx.path.slice(0, 200) }, 'request failed');
  ctx.status = 500;
  ctx.body = { error: 'internal_error' };
}

function answer(ctx: Context, status: number, error: ProblemCode, message: string): void {
  ctx.status = status;
  ctx.body = { error, message };
}
