import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { invalidParam } from '../marketplace/resultCodes.js';
import { SsoRefusal } from '../sso/refusal.js';

/** A body that trickles in slower than this is dropped, so a slow sender cannot hold a reader forever. */
const READ_TIMEOUT_MS = 60_000;
/** A form is a few hundred bytes: one that trickles in slower than this is dropped. */
const FORM_READ_TIMEOUT_MS = 10_000;

/** Why a body could not be read; each caller answers it in its own terms (a resultCode, a page). */
export class UnreadableBody extends Error {}

/** Reads a request body as bytes: the expected content type, a size limit, a read deadline. */
export async function readBytes(ctx: Context, type: string, limitBytes: number, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
  if (!ctx.is(type)) throw new UnreadableBody(`Content-Type must be ${type}`);
  const timer = setTimeout(() => ctx.req.destroy(), timeoutMs);
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('content-length') || undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    throw new UnreadableBody(type === 'entity.too.large' ? `body: larger than the limit of ${limitBytes} bytes` : 'body: could not be read completely');
  } finally {
    clearTimeout(timer);
  }
}

/** A marketplace request body as bytes (JSON content type); an unreadable one is a 000002 refusal. */
export async function readBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  try {
    return await readBytes(ctx, 'application/json', limitBytes);
  } catch (err) {
    throw err instanceof UnreadableBody ? invalidParam(err.message) : err;
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

/** An HTML form's body (application/x-www-form-urlencoded); an unreadable one is an invalid_request refusal. */
export async function readForm(ctx: Context, limitBytes: number): Promise<URLSearchParams> {
  try {
    return new URLSearchParams((await readBytes(ctx, 'application/x-www-form-urlencoded', limitBytes, FORM_READ_TIMEOUT_MS)).toString('utf8'));
  } catch (err) {
    throw err instanceof UnreadableBody ? new SsoRefusal('invalid_request', err.message) : err;
  }
}
