import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { Worker } from 'node:worker_threads';
import { BadInput, TooLarge } from '../errors.js';
import { betweenStatements } from '../store/upsertNewer.js';

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

/** Items of a long list the main thread parses between two turns of the event loop: a few ms each. */
const ITEMS_PER_SLICE = 2_000;

/**
 * Runs in the worker: parses the body (as parseJsonObject does) and hands it back as text again,
 * each long list as slices of ITEMS_PER_SLICE items sent as soon as made (the main thread parses
 * one while the next is made), then the rest. Plain JavaScript, evaluated as is: nothing to
 * resolve or compile in the worker.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, bytes }) => {
  let body;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return parentPort.postMessage({ id, error: ${JSON.stringify(NOT_JSON)} });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return parentPort.postMessage({ id, error: ${JSON.stringify(NOT_OBJECT)} });
  for (const key of Object.keys(body)) {
    const list = body[key];
    if (key === '__proto__' || !Array.isArray(list) || list.length <= ${ITEMS_PER_SLICE}) continue;
    for (let i = 0; i < list.length; i += ${ITEMS_PER_SLICE}) parentPort.postMessage({ id, key, slice: JSON.stringify(list.slice(i, i + ${ITEMS_PER_SLICE})) });
    body[key] = null;
  }
  parentPort.postMessage({ id, rest: JSON.stringify(body) });
});`;

type WorkerMessage = { id: number } & ({ key: string; slice: string } | { rest: string } | { error: string });

/** The one parsing worker of the process, started on the first large body; a crashed one is replaced. */
let worker: { thread: Worker; waiting: Map<number, (message: WorkerMessage | Error) => void> } | undefined;
let nextId = 0;

function parsingWorker() {
  if (worker) return worker;
  // No --import of a TypeScript loader (or a profiler) from the parent: the source is plain JavaScript.
  const thread = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  const current = { thread, waiting: new Map<number, (message: WorkerMessage | Error) => void>() };
  const fail = (err: Error) => {
    if (worker === current) worker = undefined;
    for (const receive of current.waiting.values()) receive(err);
    current.waiting.clear();
  };
  thread.on('message', (message: WorkerMessage) => current.waiting.get(message.id)?.(message));
  thread.on('error', fail);
  thread.on('exit', () => fail(new Error('JSON parsing worker exited')));
  thread.unref();
  worker = current;
  return current;
}

/**
 * Bodies up to this size are parsed in one go: a 100,000-department snapshot (7.7 MB) takes 50-100
 * ms, which other requests can wait. A body near the 32 MB limit would hold them for half a second.
 */
const PARSE_IN_ONE_GO_BYTES = 16 * 1024 * 1024;

/** The body as a JSON object (see parseJsonObject), parsed in turns when it is larger than PARSE_IN_ONE_GO_BYTES. */
export function parseBody(raw: Buffer): Promise<Record<string, unknown>> | Record<string, unknown> {
  return raw.length > PARSE_IN_ONE_GO_BYTES ? parseInTurns(raw) : parseJsonObject(raw);
}

/**
 * A very large body as a JSON object, the same as parseJsonObject gives, without holding the thread
 * for the whole parse: a worker thread parses it, and the main thread parses what it hands back a
 * slice per turn, other requests in between. The round trip costs about twice a parse in one go.
 */
export async function parseInTurns(raw: Buffer): Promise<Record<string, unknown>> {
  const w = parsingWorker();
  const id = nextId++;
  const arrived: (WorkerMessage | Error)[] = [];
  let wake = () => {};
  w.waiting.set(id, (message) => {
    arrived.push(message);
    wake();
  });
  w.thread.ref();
  try {
    // A copy of its own to hand over: the caller keeps the bytes it hashed and verified.
    const bytes = new Uint8Array(raw);
    w.thread.postMessage({ id, bytes }, [bytes.buffer]);
    const lists = new Map<string, unknown[]>();
    for (let next = 0; ; next++) {
      if (next === arrived.length) await new Promise<void>((resolve) => (wake = resolve));
      // Each in a turn of its own: the worker's messages are delivered in one go, every queued one in a row.
      await betweenStatements();
      const message = arrived[next]!;
      if (message instanceof Error) throw message;
      if ('error' in message) throw new BadInput(message.error);
      if ('slice' in message) {
        const list = lists.get(message.key) ?? [];
        for (const item of JSON.parse(message.slice) as unknown[]) list.push(item);
        lists.set(message.key, list);
        continue;
      }
      const body = JSON.parse(message.rest) as Record<string, unknown>;
      for (const [key, list] of lists) body[key] = list;
      return body;
    }
  } finally {
    w.waiting.delete(id);
    if (w.waiting.size === 0) w.thread.unref();
  }
}

export async function readJsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(ctx, limitBytes));
}

/** An HTML form's body (application/x-www-form-urlencoded). */
export async function readForm(ctx: Context, limitBytes: number): Promise<URLSearchParams> {
  return new URLSearchParams((await readBytes(ctx, 'application/x-www-form-urlencoded', limitBytes, FORM_READ_TIMEOUT_MS)).toString('utf8'));
}
