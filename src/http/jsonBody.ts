import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { invalidParam } from '../marketplace/resultCodes.js';

export interface JsonBody {
  /** The bytes as received (UTF-8), for signature checks. */
  raw: string;
  body: Record<string, unknown>;
}

/** Reads a marketplace request body: JSON content type, size limit, a JSON object. */
export async function readJsonObject(ctx: Context, limitBytes: number): Promise<JsonBody> {
  if (!ctx.is('application/json')) throw invalidParam('Content-Type must be application/json');
  let raw: string;
  try {
    raw = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8', length: ctx.get('content-length') || undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw invalidParam(`body: larger than the limit of ${limitBytes} bytes`);
    throw invalidParam('body: could not be read completely');
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw);
  } catch {
    throw invalidParam('body: not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidParam('body: must be a JSON object');
  return { raw, body: body as Record<string, unknown> };
}
