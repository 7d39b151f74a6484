import { randomBytes } from 'node:crypto';
import { bool, dialectOf, inTransaction, type Db, type Trx } from './db.js';
import { insertStatement, lockClause, runStatement } from './statements.js';
import { eventBounds, readEvents, type DirectoryEvent, type EventType } from './events.js';
import { onePage, type Page } from './pages.js';
import type { DeliveryStatus, WebhookDeliveryRow, WebhookEndpointRow } from './rows.js';

/** `we_` / `whd_` and 22 random base64url characters (128 bits). */
export const newEndpointId = () => `we_${randomBytes(16).toString('base64url')}`;
const newDeliveryId = () => `whd_${randomBytes(16).toString('base64url')}`;

/** The endpoint WEBHOOK_URL configures is the one row with this key. */
export const ENV_KEY = 'WEBHOOK_URL';

// ---------------------------------------------------------------- endpoints

export interface NewEndpoint {
  id: string;
  url: string;
  description: string | null;
  types: EventType[] | null;
  /** Sealed already (the caller holds the key). */
  secret: string;
  envKey: string | null;
}

/**
 * Adds an endpoint whose cursor is the last event handed out: it receives what is committed from
 * now on, not the history (a replay sends that). Committed events are a prefix of the sequence, so
 * none committed later can have a smaller number.
 */
export async function insertEndpoint(trx: Trx, e: NewEndpoint, now = Date.now()): Promise<void> {
  const { last } = await eventBounds(trx);
  await trx('webhook_endpoints').insert({
    id: e.id,
    url: e.url,
    description: e.description,
    types: e.types && JSON.stringify(e.types),
    secret: e.secret,
    env_key: e.envKey,
    disabled: 0,
    enqueued_through: last,
    created_at: now,
    updated_at: now,
  });
}

export async function findEndpoint(db: Db | Trx, id: string, lock = false): Promise<WebhookEndpointRow | undefined> {
  const q = db('webhook_endpoints').where({ id });
  return lock ? q.forUpdate().first() : q.first();
}

export async function findEnvEndpoint(trx: Trx): Promise<WebhookEndpointRow | undefined> {
  return trx('webhook_endpoints').where({ env_key: ENV_KEY }).forUpdate().first();
}

export async function listEndpoints(db: Db): Promise<WebhookEndpointRow[]> {
  return db('webhook_endpoints').orderBy('created_at').orderBy('id');
}

export interface EndpointChange {
  url?: string;
  description?: string | null;
  types?: EventType[] | null;
  /** true: disabled by the merchant; false: enabled again, its failure record cleared. */
  disabled?: boolean;
}

export async function updateEndpoint(db: Db, id: string, change: EndpointChange, now = Date.now()): Promise<boolean> {
  const set: Record<string, unknown> = { updated_at: now };
  if (change.url !== undefined) set.url = change.url;
  if (change.description !== undefined) set.description = change.description;
  if (change.types !== undefined) set.types = change.types && JSON.stringify(change.types);
  if (change.disabled === true) Object.assign(set, { disabled: 1, disabled_reason: 'disabled through the API', disabled_at: now });
  if (change.disabled === false) Object.assign(set, { disabled: 0, disabled_reason: null, disabled_at: null, failing_since: null });
  return (await db('webhook_endpoints').where({ id }).update(set)) === 1;
}

/** A new secret; the current one keeps signing until `previousUntil`. */
export async function replaceSecret(db: Db | Trx, id: string, sealed: string, previousSealed: string | null, previousUntil: number | null, now = Date.now()): Promise<void> {
  await db('webhook_endpoints').where({ id }).update({ secret: sealed, previous_secret: previousSealed, previous_secret_until: previousUntil, updated_at: now });
}

export async function setEndpointUrl(trx: Trx, id: string, url: string, now = Date.now()): Promise<void> {
  await trx('webhook_endpoints').where({ id }).update({ url, updated_at: now });
}

/** The endpoint and its delivery log. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    await trx('webhook_deliveries').where({ endpoint_id: id }).delete();
    return (await trx('webhook_endpoints').where({ id }).delete()) === 1;
  });
}

/** The endpoints the worker serves. */
export async function enabledEndpointIds(db: Db): Promise<string[]> {
  return db('webhook_endpoints').where({ disabled: 0 }).orderBy('id').pluck('id');
}

// ---------------------------------------------------------------- fan-out and claims

/** Events turned into deliveries per claim: a short transaction even with a backlog. */
const FAN_OUT_BATCH = 1_000;

/** A delivery row for one event, due now. */
const newDelivery = (endpointId: string, e: DirectoryEvent, now: number) => ({
  id: newDeliveryId(), endpoint_id: endpointId, event_sequence: e.sequence, event_id: e.id, event_type: e.type, status: 'pending', attempts: 0, next_attempt_at: now, created_at: now,
});

/**
 * Turns the events committed after the endpoint's cursor into its deliveries (those of its types)
 * and moves the cursor past them; `more` when there may be more. Runs with the endpoint row locked, so two replicas never enqueue
 * the same events; the unique (endpoint, event) key would refuse it anyway.
 */
async function fanOut(trx: Trx, endpoint: WebhookEndpointRow, now: number): Promise<{ more: boolean; events: DirectoryEvent[] }> {
  const types = endpoint.types ? (JSON.parse(endpoint.types) as EventType[]) : undefined;
  const after = Number(endpoint.enqueued_through);
  const events = await readEvents(trx, { after, limit: FAN_OUT_BATCH, types });
  let through = events.length > 0 ? events[events.length - 1]!.sequence : after;
  // Fewer than a batch of its types: every event to the end of what is committed was looked at.
  if (types && events.length < FAN_OUT_BATCH) through = Math.max(through, (await eventBounds(trx)).last);
  if (through === after) return { more: false, events };
  if (events.length > 0) {
    const rows = events.map((e) => newDelivery(endpoint.id, e, now));
    const { sql, params } = insertStatement('webhook_deliveries', Object.keys(rows[0]!), rows);
    await runStatement(trx, sql, params);
  }
  await runStatement(trx, 'UPDATE `webhook_endpoints` SET `enqueued_through` = ? WHERE `id` = ?', [through, endpoint.id]);
  return { more: events.length === FAN_OUT_BATCH, events };
}

/** Which claim a result belongs to: only the claim's owner, at the attempt it claimed, records one. */
export interface Fence {
  id: string;
  owner: string;
  attempts: number;
}

/**
 * What became of a claimed delivery, to record. `success` ends the endpoint's failing spell,
 * `failure` starts or extends it, `gone` disables the endpoint, `neutral` counts for neither (the
 * event was deleted), `release` gives the claim back unsent (the process is stopping): due again
 * at once, the attempt not counted.
 */
export type Settled =
  | { fence: Fence; kind: 'release' }
  | { fence: Fence; kind: 'success' | 'failure' | 'gone' | 'neutral'; outcome: AttemptOutcome };

export interface AttemptOutcome {
  status: DeliveryStatus;
  /** When the next attempt is due (a pending delivery). */
  nextAttemptAt?: number;
  statusCode: number | null;
  error: string | null;
  at: number;
}

export interface ClaimOptions {
  /** At most this many in flight for the endpoint, counting every replica's claims. */
  concurrency: number;
  /** And at most this many claimed now (what this replica has room for; 0: only record). */
  limit: number;
  leaseMs: number;
  /** Unique to this claim: the fence its results are recorded through. */
  owner: string;
  /** MySQL/MariaDB that have `SKIP LOCKED`: a replica passes over rows another is claiming rather than wait. */
  skipLocked: boolean;
  /** An endpoint failing this long with no success is disabled. */
  disableAfterMs: number;
  now?: number;
}

export interface Claim {
  endpoint: WebhookEndpointRow;
  deliveries: WebhookDeliveryRow[];
  /** More events are committed than one claim enqueues. */
  backlog: boolean;
  /** The events this claim enqueued (the worker sends them next, without reading them again). */
  enqueued: DirectoryEvent[];
  /** Why the results recorded now disabled the endpoint. */
  disabled?: { reason: string; failingSince: number | null };
}

/**
 * One short transaction per endpoint with its row locked (other replicas serving it wait a few
 * milliseconds): record the results of its finished sends, keep its failing spell (disabling it
 * after `disableAfterMs`, or on 410), enqueue its new events, then claim its earliest due
 * deliveries (a lease until now + leaseMs, one more attempt) up to its concurrency. A claim whose
 * lease lapsed (its replica crashed or stalled) is due again. Recording results with the next claim
 * is one commit where there would be several. Undefined for an endpoint deleted meanwhile.
 */
export async function claimDeliveries(db: Db, endpointId: string, settled: Settled[], o: ClaimOptions): Promise<Claim | undefined> {
  const now = o.now ?? Date.now();
  const mysql = dialectOf(db) === 'mysql';
  const skip = mysql ? (o.skipLocked ? ' FOR UPDATE SKIP LOCKED' : ' FOR UPDATE') : '';
  return inTransaction(db, async (trx) => {
    const { rows: [endpoint] } = await runStatement<WebhookEndpointRow>(trx, `SELECT * FROM \`webhook_endpoints\` WHERE \`id\` = ?${lockClause(trx, 'update')}`, [endpointId]);
    if (!endpoint) return undefined;
    const disabled = await settle(trx, endpoint, settled, o.disableAfterMs, now);
    if (disabled || bool(endpoint.disabled) || o.limit <= 0) return { endpoint, deliveries: [], backlog: false, enqueued: [], disabled };
    const { more: backlog, events: enqueued } = await fanOut(trx, endpoint, now);
    const { rows: [busy] } = await runStatement<{ n: number }>(trx, 'SELECT COUNT(*) AS `n` FROM `webhook_deliveries` WHERE `endpoint_id` = ? AND `lease_until` > ?', [endpointId, now]);
    const room = Math.min(o.limit, o.concurrency - Number(busy!.n));
    if (room <= 0) return { endpoint, deliveries: [], backlog, enqueued };
    const { rows: due } = await runStatement<WebhookDeliveryRow>(
      trx,
      'SELECT * FROM `webhook_deliveries` WHERE `endpoint_id` = ? AND `status` = ? AND `next_attempt_at` <= ? AND `lease_until` <= ? ' +
        `ORDER BY \`next_attempt_at\`, \`event_sequence\` LIMIT ?${skip}`,
      [endpointId, 'pending', now, now, room],
    );
    if (due.length === 0) return { endpoint, deliveries: [], backlog, enqueued };
    const ids = due.map((d) => d.id);
    const marks = ids.map(() => '?').join(', ');
    // The lease condition again: without a row lock (SQLite, or several processes on one file) it is what keeps one claim per row.
    const leaseUntil = now + o.leaseMs;
    const { changes } = await runStatement(trx, `UPDATE \`webhook_deliveries\` SET \`lease_until\` = ?, \`leased_by\` = ?, \`attempts\` = \`attempts\` + 1 WHERE \`id\` IN (${marks}) AND \`lease_until\` <= ?`, [leaseUntil, o.owner, ...ids, now]);
    // Every row claimed: they are as read, with the claim. Otherwise another process took some meanwhile.
    if (changes === due.length) {
      const claimed = due.map((d) => ({ ...d, lease_until: leaseUntil, leased_by: o.owner, attempts: Number(d.attempts) + 1 }));
      return { endpoint, deliveries: claimed.sort((a, b) => Number(a.event_sequence) - Number(b.event_sequence)), backlog, enqueued };
    }
    const { rows: deliveries } = await runStatement<WebhookDeliveryRow>(trx, `SELECT * FROM \`webhook_deliveries\` WHERE \`id\` IN (${marks}) AND \`leased_by\` = ? ORDER BY \`event_sequence\``, [...ids, o.owner]);
    return { endpoint, deliveries, backlog, enqueued };
  });
}

/** Records results through their fences (a lapsed claim's result is dropped) and updates the endpoint's failing spell. */
async function settle(trx: Trx, endpoint: WebhookEndpointRow, settled: Settled[], disableAfterMs: number, now: number): Promise<Claim['disabled']> {
  let since = endpoint.failing_since == null ? null : Number(endpoint.failing_since);
  let gone: number | undefined;
  let failed = false;
  for (const s of settled) {
    const { id, owner, attempts } = s.fence;
    if (s.kind === 'release') {
      await runStatement(trx, 'UPDATE `webhook_deliveries` SET `lease_until` = 0, `attempts` = `attempts` - 1 WHERE `id` = ? AND `leased_by` = ? AND `attempts` = ?', [id, owner, attempts]);
      continue;
    }
    const o = s.outcome;
    const { changes } = await runStatement(
      trx,
      'UPDATE `webhook_deliveries` SET `status` = ?, `next_attempt_at` = ?, `lease_until` = 0, `last_attempt_at` = ?, `last_status_code` = ?, `last_error` = ?, `delivered_at` = ? ' +
        'WHERE `id` = ? AND `leased_by` = ? AND `attempts` = ?',
      [o.status, o.nextAttemptAt ?? o.at, o.at, o.statusCode, o.error?.slice(0, 500) ?? null, o.status === 'delivered' ? o.at : null, id, owner, attempts],
    );
    if (changes !== 1) continue;
    if (s.kind === 'success') since = null;
    if (s.kind === 'failure') {
      since ??= o.at;
      failed = true;
    }
    if (s.kind === 'gone') gone = o.at;
  }
  const before = endpoint.failing_since == null ? null : Number(endpoint.failing_since);
  let disabled: Claim['disabled'];
  if (!bool(endpoint.disabled)) {
    if (gone !== undefined) disabled = { reason: `the receiver answered 410 Gone at ${new Date(gone).toISOString()}`, failingSince: since };
    else if (failed && since !== null && now - since >= disableAfterMs) {
      const days = Math.floor((now - since) / 86_400_000);
      disabled = { reason: `no delivery succeeded for ${days} days (since ${new Date(since).toISOString()}; WEBHOOK_DISABLE_AFTER_DAYS is ${Math.round(disableAfterMs / 86_400_000)})`, failingSince: since };
    }
  }
  if (since === before && !disabled) return undefined;
  const set: Record<string, unknown> = { failing_since: since };
  if (disabled) Object.assign(set, { disabled: 1, disabled_reason: disabled.reason, disabled_at: now, updated_at: now });
  await trx('webhook_endpoints').where({ id: endpoint.id }).update(set);
  Object.assign(endpoint, set);
  return disabled;
}

// ---------------------------------------------------------------- the delivery log

export async function listDeliveries(db: Db, endpointId: string, filter: Page & { status?: DeliveryStatus }) {
  const q = db('webhook_deliveries').where({ endpoint_id: endpointId });
  if (filter.status) q.andWhere({ status: filter.status });
  return onePage<WebhookDeliveryRow>(q.orderBy('event_sequence', 'desc'), filter);
}

export async function findDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db('webhook_deliveries').where({ id }).first();
}

/** A delivery sent again from its first attempt, at once; 'in flight' while a claim holds it. */
export async function retryDelivery(db: Db, id: string, now = Date.now()): Promise<WebhookDeliveryRow | 'in flight' | undefined> {
  return inTransaction(db, async (trx) => {
    const row: WebhookDeliveryRow | undefined = await trx('webhook_deliveries').where({ id }).forUpdate().first();
    if (!row) return undefined;
    if (Number(row.lease_until) > now) return 'in flight';
    await trx('webhook_deliveries').where({ id }).update({ status: 'pending', attempts: 0, next_attempt_at: now });
    return { ...row, status: 'pending' as const, attempts: 0, next_attempt_at: now };
  });
}

/**
 * Enqueues again, from the first attempt, every kept event after `after` that the endpoint's
 * cursor has passed (of its types); later events are enqueued by the worker anyway. A batch of
 * events per transaction. Answers how many deliveries it enqueued.
 */
export async function replayEvents(db: Db, endpointId: string, after: number, now = Date.now()): Promise<number> {
  let count = 0;
  for (let from = after; ; ) {
    const batch = await inTransaction(db, async (trx) => {
      const endpoint = await findEndpoint(trx, endpointId, true);
      if (!endpoint) return { done: true, through: from };
      const types = endpoint.types ? (JSON.parse(endpoint.types) as EventType[]) : undefined;
      const events = (await readEvents(trx, { after: from, limit: FAN_OUT_BATCH, types })).filter((e) => e.sequence <= Number(endpoint.enqueued_through));
      if (events.length === 0) return { done: true, through: from };
      await trx('webhook_deliveries')
        .insert(events.map((e) => newDelivery(endpointId, e, now)))
        .onConflict(['endpoint_id', 'event_sequence'])
        .merge({ status: 'pending', attempts: 0, next_attempt_at: now });
      count += events.length;
      return { done: events.length < FAN_OUT_BATCH, through: events[events.length - 1]!.sequence };
    });
    if (batch.done) return count;
    from = batch.through;
  }
}

/** Deliveries of events retention has deleted: there is nothing left to send or show. */
export async function purgeDeliveries(db: Db): Promise<number> {
  const { purgedThrough } = await eventBounds(db);
  return db('webhook_deliveries').where('event_sequence', '<=', purgedThrough).delete();
}

// ---------------------------------------------------------------- for the metrics

/** When the oldest delivery still pending on an enabled endpoint was enqueued. */
export async function oldestPending(db: Db): Promise<number | undefined> {
  const row: { at?: number | string | null } | undefined = await db('webhook_deliveries as d')
    .join('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .where({ 'd.status': 'pending', 'e.disabled': 0 })
    .min({ at: 'd.created_at' })
    .first();
  return row?.at == null ? undefined : Number(row.at);
}

export async function disabledEndpointCount(db: Db): Promise<number> {
  const row = await db('webhook_endpoints').where({ disabled: 1 }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
