import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { BadInput, TooLarge } from '../errors.js';

/** A body that trickles in slower than this is dropped, so a slow sender cannot hold a reader forever. */
const READ_TIMEOUT_MS = 60_000;
/** A form is a few hundred bytes: one that trickles in slower than this is dropped. */
const FORM_READ_TIMEOUT_MS = 10_000;

/**
 * Reads a request body as bytes: the expected content type, a size limit, a read deadline. A body
 * that cannot be had is bad input; each channel answers it in its own terms (a resultCode, a page).
 */
async function readBytes(ctx: Context, type: string, limitBytes: number, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
  if (!ctx.is(type)) throw new BadInput(`Content-Type must be ${type}`);
  const timer = setTimeout(() => ctx.req.destroy(), timeoutMs);
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('content-length') || undefined });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') throw new TooLarge(`body: larger than the limit of ${limitBytes} bytes`);
    throw new BadInput('body: could not be read completely');
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON request body as bytes (a marketplace call's signature is over these). */
export function readBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  return readBytes(ctx, 'application/json', limitBytes);
}

const NOT_JSON = 'body: not valid JSON';
const NOT_OBJECT = 'body: must be a JSON object';

/** The body as a JSON object (a UTF-8 byte order mark is ignored). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new BadInput(NOT_JSON);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInput(NOT_OBJECT);
  return body as Record<string, unknown>;
}

export async function readJsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(ctx, limitBytes));
}

/** An HTML form's body (application/x-www-form-urlencoded). */
export async function readForm(ctx: Context, limitBytes: number): Promise<URLSearchParams> {
  return new URLSearchParams((await readBytes(ctx, 'application/x-www-form-urlencoded', limitBytes, FORM_READ_TIMEOUT_MS)).toString('utf8'));
}
