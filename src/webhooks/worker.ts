import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { describe } from '../log.js';
import { dialectOf, type Db } from '../store/db.js';
import { eventsHolding, onEventsCommitted, type DirectoryEvent } from '../store/events.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/rows.js';
import { claimDeliveries, enabledEndpointIds, type Fence, type Settled } from '../store/webhooks.js';
import { signingSecrets } from './endpoints.js';
import { signatureHeader } from './signing.js';

/** What became of one attempt, for the koobridge_webhook_deliveries_total metric (a closed set). */
export const DELIVERY_OUTCOMES = [
  /** A 2xx answer. */
  'delivered',
  /** A failed attempt with a retry scheduled. */
  'retrying',
  /** The last attempt failed: it waits for a manual retry. */
  'failed',
  /** The receiver answered 410 Gone: the endpoint is disabled. */
  'gone',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** Where the worker reports each attempt; whoever keeps the metrics subscribes. */
export class DeliveryOutcomes {
  private readonly listeners: ((outcome: DeliveryOutcome) => void)[] = [];
  subscribe(listener: (outcome: DeliveryOutcome) => void): void {
    this.listeners.push(listener);
  }
  report(outcome: DeliveryOutcome): void {
    for (const l of this.listeners) l(outcome);
  }
}

const outcomesByRuntime = new WeakMap<Runtime, DeliveryOutcomes>();
export function deliveryOutcomes(rt: Runtime): DeliveryOutcomes {
  let outcomes = outcomesByRuntime.get(rt);
  if (!outcomes) outcomesByRuntime.set(rt, (outcomes = new DeliveryOutcomes()));
  return outcomes;
}

/** Events other replicas commit are seen within this; this process's own at once (onEventsCommitted). */
const POLL_MS = 1_000;
/** After the send's own timeout: time to record its result on a busy store before the claim lapses. */
const LEASE_MARGIN_MS = 5_000;
/** On shutdown, sends under way get this long to be answered; the rest are given back for another replica. */
const STOP_GRACE_MS = 2_000;
/** Events kept read for the next deliveries (those of a run come in one row): about a backlog's claims' worth. */
const RECENT_EVENTS = 5_000;
/** What is read of a receiver's answer: enough to keep the connection for the next delivery. */
const ANSWER_READ_BYTES = 65_536;

/** This process, as the owner of claims (each claim adds its own number). */
const processId = randomBytes(9).toString('base64url');
let claimNumber = 0;

/** MariaDB from 10.6 and MySQL from 8.0.1 skip rows another transaction holds; older ones wait for them. */
async function hasSkipLocked(db: Db): Promise<boolean> {
  if (dialectOf(db) !== 'mysql') return false;
  const [rows] = (await db.raw('SELECT VERSION() AS v')) as [{ v: string }[]];
  const version = rows[0]!.v;
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
  if (/mariadb/i.test(version)) return major > 10 || (major === 10 && minor >= 6);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 1));
}

export interface RunningWorker {
  /** Claims no more; sends under way are answered, or given back after a short grace. */
  stop(): Promise<void>;
}

/**
 * The webhook worker. Every replica runs one: each claims deliveries for itself (a lease in the
 * database), so they share the work without a leader, and a replica that dies leaves only claims
 * that lapse. It wakes on this process's commits, and every second for other replicas' commits and
 * for retries falling due.
 */
export async function startWebhookWorker(rt: Runtime): Promise<RunningWorker> {
  const worker = new Worker(rt, await hasSkipLocked(rt.db));
  worker.start();
  return worker;
}

interface Send {
  /** Aborted when the process stops before the receiver answers. */
  stop: AbortController;
  done: Promise<void>;
}

class Worker {
  private readonly sends = new Map<string, Send>();
  /** Sends under way here, per endpoint (the database counts every replica's). */
  private readonly local = new Map<string, number>();
  /** Results of finished sends, per endpoint, recorded by the endpoint's next claim. */
  private readonly settled = new Map<string, Settled[]>();
  private endpoints: { ids: string[]; at: number } = { ids: [], at: 0 };
  /** Events read ahead of their deliveries, by sequence. Events never change; one retention deletes after it was read here may still go out. */
  private readonly recent = new Map<number, DirectoryEvent>();
  private passing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly rt: Runtime,
    private readonly skipLocked: boolean,
  ) {
    this.timeoutMs = rt.config.webhookTimeoutSeconds * 1000;
  }

  start(): void {
    this.unsubscribe = onEventsCommitted(this.rt.db, () => this.wake());
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** One pass at a time; a wake during one asks for another right after it. */
  private wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.again = false;
    this.passing = this.pass(true).finally(() => {
      this.passing = undefined;
      if (this.again) this.wake();
    });
  }

  /** Records what finished and, when `claiming`, claims what each endpoint has room for. */
  private async pass(claiming: boolean): Promise<void> {
    const { rt } = this;
    try {
      // The list of endpoints is read again once a second: new ones through another replica's API are served within that.
      if (claiming && Date.now() - this.endpoints.at >= POLL_MS) this.endpoints = { ids: await enabledEndpointIds(rt.db), at: Date.now() };
      const ids = new Set([...(claiming ? this.endpoints.ids : []), ...this.settled.keys()]);
      for (const id of ids) await this.serve(id, claiming && !this.stopped);
    } catch (err) {
      rt.log.error({ err: describe(err) }, 'webhook worker pass failed');
    }
  }

  private async serve(id: string, claiming: boolean): Promise<void> {
    const { rt } = this;
    const concurrency = rt.config.webhookConcurrency;
    const settled = this.settled.get(id) ?? [];
    const room = claiming ? concurrency - (this.local.get(id) ?? 0) : 0;
    if (settled.length === 0 && room <= 0) return;
    this.settled.delete(id);
    let claim;
    try {
      claim = await claimDeliveries(rt.db, id, settled, {
        concurrency,
        limit: room,
        leaseMs: this.timeoutMs + LEASE_MARGIN_MS,
        owner: `${processId}.${++claimNumber}`,
        skipLocked: this.skipLocked,
        disableAfterMs: rt.config.webhookDisableAfterDays * 86_400_000,
      });
    } catch (err) {
      // Kept for the next pass: their claims hold for seconds yet.
      this.settled.set(id, [...settled, ...(this.settled.get(id) ?? [])]);
      throw err;
    }
    if (!claim) return;
    if (claim.disabled) {
      const { reason, failingSince } = claim.disabled;
      rt.log.warn({ endpointId: id, reason, failingSince: failingSince && new Date(failingSince).toISOString() }, 'webhook endpoint disabled');
      this.endpoints.at = 0;
    }
    // More events than one claim enqueues: go on with them right after this pass.
    if (claim.backlog) this.again = true;
    this.keep(claim.enqueued);
    if (claim.deliveries.length === 0) return;
    const events = await this.eventsOf(claim.deliveries.map((d) => Number(d.event_sequence)));
    const secrets = signingSecrets(rt, claim.endpoint);
    for (const d of claim.deliveries) this.send(claim.endpoint, secrets, d, events.get(Number(d.event_sequence)));
  }

  /** The events of these sequences, read only where not read already; sent now, they are no longer kept. */
  private async eventsOf(sequences: number[]): Promise<Map<number, DirectoryEvent>> {
    const missing = sequences.filter((s) => !this.recent.has(s));
    const read = missing.length > 0 ? await eventsHolding(this.rt.db, missing) : new Map<number, DirectoryEvent>();
    const found = new Map<number, DirectoryEvent>();
    for (const s of sequences) {
      const e = this.recent.get(s) ?? read.get(s);
      if (e) found.set(s, e);
      this.recent.delete(s);
      read.delete(s);
    }
    if (this.recent.size + read.size > RECENT_EVENTS) this.recent.clear();
    this.keep(read.values());
    return found;
  }

  /** Keeps events for the deliveries to come, as many as RECENT_EVENTS (a backlog's are read again when due). */
  private keep(events: Iterable<DirectoryEvent>): void {
    for (const e of events) if (this.recent.size < RECENT_EVENTS) this.recent.set(e.sequence, e);
  }

  private send(endpoint: WebhookEndpointRow, secrets: string[], d: WebhookDeliveryRow, event: DirectoryEvent | undefined): void {
    this.local.set(endpoint.id, (this.local.get(endpoint.id) ?? 0) + 1);
    const stop = new AbortController();
    const fence: Fence = { id: d.id, owner: d.leased_by, attempts: d.attempts };
    const done = this.deliver(endpoint, secrets, d, event, stop.signal)
      .catch((err): Settled => {
        this.rt.log.error({ err: describe(err), deliveryId: d.id }, 'webhook delivery failed');
        return { fence, kind: 'release' };
      })
      .then((result) => {
        this.local.set(endpoint.id, this.local.get(endpoint.id)! - 1);
        this.sends.delete(d.id);
        this.settled.set(endpoint.id, [...(this.settled.get(endpoint.id) ?? []), result]);
        this.wake();
      });
    this.sends.set(d.id, { stop, done });
  }

  /** Sends one delivery and says what to record of it. */
  private async deliver(endpoint: WebhookEndpointRow, secrets: string[], d: WebhookDeliveryRow, event: DirectoryEvent | undefined, stop: AbortSignal): Promise<Settled> {
    const { rt } = this;
    const fence: Fence = { id: d.id, owner: d.leased_by, attempts: d.attempts };
    if (!event) {
      this.report('failed');
      return { fence, kind: 'neutral', outcome: { status: 'failed', statusCode: null, error: 'the event is past EVENT_RETENTION_DAYS and deleted', at: Date.now() } };
    }
    const body = JSON.stringify(event);
    const signedAt = new Date();
    const answer = await post(endpoint.url, body, {
      'content-type': 'application/json',
      'user-agent': 'koobridge-webhooks',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
      'webhook-signature': signatureHeader(secrets, event.id, signedAt, body),
    }, this.timeoutMs, stop);
    if (stop.aborted) return { fence, kind: 'release' };
    const at = Date.now();
    const outcome = { statusCode: answer.status ?? null, error: answer.error ?? null, at };
    if (answer.status !== undefined && answer.status >= 200 && answer.status < 300) {
      this.report('delivered');
      return { fence, kind: 'success', outcome: { ...outcome, status: 'delivered' } };
    }
    if (answer.status === 410) {
      this.report('gone');
      return { fence, kind: 'gone', outcome: { ...outcome, status: 'failed' } };
    }
    const retryIn = rt.config.webhookRetrySchedule[d.attempts - 1];
    const about = { endpointId: endpoint.id, deliveryId: d.id, attempts: d.attempts, status: answer.status, error: answer.error };
    if (retryIn === undefined) {
      rt.log.warn(about, 'webhook delivery failed: no attempt left');
      this.report('failed');
      return { fence, kind: 'failure', outcome: { ...outcome, status: 'failed' } };
    }
    rt.log.debug(about, 'webhook delivery attempt failed');
    this.report('retrying');
    return { fence, kind: 'failure', outcome: { ...outcome, status: 'pending', nextAttemptAt: at + retryIn * 1000 } };
  }

  private report(outcome: DeliveryOutcome): void {
    deliveryOutcomes(this.rt).report(outcome);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.passing;
    const all = () => Promise.all([...this.sends.values()].map((s) => s.done));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(grace);
    for (const s of this.sends.values()) s.stop.abort();
    await all();
    // What finished meanwhile, and the claims given back, are recorded before the store closes.
    await this.pass(false);
  }
}

/** The receiver's status, or why there is none (a network error, no answer in time). */
async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, stop: AbortSignal): Promise<{ status?: number; error?: string }> {
  try {
    // Redirects are not followed: a receiver moves by changing the endpoint's URL.
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]) });
    let read = 0;
    if (res.body) for await (const chunk of res.body) if ((read += (chunk as Uint8Array).length) > ANSWER_READ_BYTES) break;
    return { status: res.status };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { error: `no answer within ${timeoutMs / 1000} s (WEBHOOK_TIMEOUT_SECONDS)` };
    return { error: e.cause?.code ?? e.cause?.message ?? e.message ?? String(err) };
  }
}
