import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { invalidParam } from '../marketplace/resultCodes.js';

/** A body that trickles in slower than this is dropped, so a slow sender cannot hold a reader forever. */
const READ_TIMEOUT_MS = 60_000;

/** Reads a marketplace request body as bytes: JSON content type, size limit, a read deadline. */
export async function readBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  if (!ctx.is('application/json')) throw invalidParam('Content-Type must be application/json');
  const timer = setTimeout(() => ctx.req.destroy(), READ_TIMEOUT_MS);
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('content-length') || undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw invalidParam(`body: larger than the limit of ${limitBytes} bytes`);
    throw invalidParam('body: could not be read completely');
  } finally {
    clearTimeout(timer);
  }
}

/** The body as a JSON object (a UTF-8 byte order mark is ignored). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw invalidParam('body: not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidParam('body: must be a JSON object');
  return body as Record<string, unknown>;
}

export async function readJsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(ctx, limitBytes));
}
