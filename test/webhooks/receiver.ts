import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inTransaction, type Db } from '../../src/store/db.js';
import { emit, type NewEvent } from '../../src/store/events.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** What the receiver answered ('hang': nothing). */
  answered?: Answer;
}

/** How the receiver answers a request: a status, or 'hang' (never answers). */
export type Answer = number | 'hang';

/** A webhook receiver on loopback: it keeps every request, and answers as the test says. */
export interface Receiver {
  url: string;
  received: Received[];
  answer: (r: Received) => Answer;
  /** Resolves once `count` requests matching came in (rejects after `ms`). */
  until(count: number, ms?: number, match?: (r: Received) => boolean): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (r: Received) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    received,
    answer,
    until(count, ms = 15_000, match = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matched = received.filter(match);
          if (matched.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matched);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${received.filter(match).length} of ${count} webhooks received within ${ms} ms`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body, at: Date.now() };
      received.push(r);
      const a = receiver.answer(r);
      received[received.length - 1]!.answered = a;
      for (const w of [...waiters]) w();
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

/**
 * The Standard Webhooks check, written from the specification rather than taken from the library
 * that signs: HMAC-SHA256 with the base64 key after `whsec_`, over `id.timestamp.body`, compared
 * against each space-separated `v1,<base64>` signature. Answers how many of them `secret` made.
 */
export function signaturesBy(secret: string, r: Received): number {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest();
  const signatures = String(r.headers['webhook-signature'] ?? '').split(' ');
  return signatures.filter((s) => {
    const [version, value] = s.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  }).length;
}

/** An event as a marketplace call writes it: through the outbox, in a transaction of its own. */
export function event(type: NewEvent['type'], n: number, tenantId = 'tenant-1'): NewEvent {
  return { type, instanceId: 'instance-1', tenantId, testFlag: false, sourceTime: null, data: { n, tenantId } };
}

export async function emitEvents(db: Db, events: NewEvent[]): Promise<void> {
  await inTransaction(db, async (trx) => emit(trx, events));
}

/** Polls until `check` holds (an assertion inside throws until then). */
export async function eventually<T>(check: () => Promise<T> | T, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
