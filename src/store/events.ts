import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { dialectOf, inTransaction, onCommit, type Db, type Trx } from './db.js';
import { insertStatement, runStatement } from './statements.js';
import { betweenStatements } from './upsertNewer.js';
import type { BigNumber, Flag } from './rows.js';

/** The events the merchant's application can receive, in its words (README "Events"). */
export const EVENT_TYPES = [
  'instance.created',
  'instance.provisioned',
  'instance.provisioning_failed',
  'instance.renewed',
  'instance.upgraded',
  'instance.frozen',
  'instance.unfrozen',
  'instance.released',
  'tenant.created',
  'tenant.updated',
  'tenant.deleted',
  'app.synced',
  'app.deleted',
  'user.authorized',
  'user.updated',
  'user.deauthorized',
  'user.deleted',
  'department.created',
  'department.updated',
  'department.deleted',
  'session.revoked',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What a change says about itself; the outbox adds its id, sequence and time. */
export interface NewEvent {
  type: EventType;
  instanceId: string | null;
  tenantId: string | null;
  testFlag: boolean;
  /** The marketplace time that caused it (yyyyMMddHHmmssSSS), for receivers that drop stale events. */
  sourceTime: string | null;
  /** The object as the directory API shows it after the change (a delete: its last state). Never a secret. */
  data: object;
}

/** An event as the events API and the webhooks send it (the OpenAPI document is generated from this). */
export const directoryEventSchema = z
  .object({
    id: z.string().describe('evt_…: the same in every delivery of the event'),
    sequence: z.number().int().describe('commit order'),
    type: z.enum(EVENT_TYPES),
    occurredAt: z.iso.datetime(),
    sourceTime: z.string().nullable().describe('the marketplace time (yyyyMMddHHmmssSSS) of the call that caused it'),
    instanceId: z.string().nullable(),
    tenantId: z.string().nullable(),
    testFlag: z.boolean(),
    data: z.record(z.string(), z.unknown()).describe('the object as the directory API shows it after the change (a delete: its last state)'),
  })
  .meta({ id: 'Event' });
export type DirectoryEvent = z.infer<typeof directoryEventSchema>;

export interface EventRow {
  sequence: BigNumber;
  id: string;
  type: EventType;
  occurred_at: BigNumber;
  source_time: string | null;
  instance_id: string | null;
  tenant_id: string | null;
  test_flag: Flag;
  data: string;
}

const pending = new WeakMap<Trx, NewEvent[]>();
/** Keyed by the knex client's settings, which a transaction's client shares with its pool's. */
const committedListeners = new WeakMap<object, Set<(count: number) => void>>();

/**
 * Adds events to the transaction's outbox. They are written as its last statements and commit or
 * roll back with everything else it did (the transaction must be run by inTransaction).
 */
export function emit(trx: Trx, events: NewEvent[]): void {
  if (events.length === 0) return;
  const list = pending.get(trx);
  if (list) {
    for (const e of events) list.push(e);
    return;
  }
  pending.set(trx, [...events]);
  onCommit(trx, {
    before: () => writeEvents(trx, pending.get(trx)!),
    after: () => {
      const count = pending.get(trx)!.length;
      for (const listener of committedListeners.get(trx.client.config) ?? []) listener(count);
    },
  });
}

/** Called after each commit that wrote events (this process only): the webhook worker wakes on it. */
export function onEventsCommitted(db: Db, listener: (count: number) => void): () => void {
  const set = committedListeners.get(db.client.config) ?? new Set();
  set.add(listener);
  committedListeners.set(db.client.config, set);
  return () => set.delete(listener);
}

/** Rows per insert: 9 values each, well below either store's limit on bound values. */
const INSERT_CHUNK = 1_000;
const COLUMNS = ['sequence', 'id', 'type', 'occurred_at', 'source_time', 'instance_id', 'tenant_id', 'test_flag', 'data'];

/**
 * Takes `events.length` numbers from the counter row, then inserts the events. On MySQL the row
 * stays locked until the transaction commits: another transaction taking numbers waits, so the
 * numbers are handed out in commit order. SQLite runs one writer at a time, so its order is that already.
 */
async function writeEvents(trx: Trx, events: NewEvent[]): Promise<void> {
  const last = await takeSequences(trx, events.length);
  const occurredAt = Date.now();
  let sequence = last - events.length;
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    if (i > 0) await betweenStatements();
    const chunk = events.slice(i, i + INSERT_CHUNK);
    // One read of the random source per chunk: per event it cost more than building the row.
    const random = randomBytes(ID_BYTES * chunk.length);
    const rows = chunk.map((e, j) => ({
      sequence: ++sequence,
      id: `evt_${random.toString('base64url', j * ID_BYTES, (j + 1) * ID_BYTES)}`,
      type: e.type,
      occurred_at: occurredAt,
      source_time: e.sourceTime,
      instance_id: e.instanceId,
      tenant_id: e.tenantId,
      test_flag: e.testFlag ? 1 : 0,
      data: JSON.stringify(e.data),
    }));
    const { sql, params } = insertStatement('events', COLUMNS, rows);
    await runStatement(trx, sql, params);
  }
}

async function takeSequences(trx: Trx, count: number): Promise<number> {
  if (dialectOf(trx) === 'mysql') {
    // LAST_INSERT_ID(expr) hands the new value back in the update's own answer: one round trip,
    // sent past knex, for the row stays locked from here to the commit.
    const { insertId } = await runStatement(trx, "UPDATE event_sequence SET last = LAST_INSERT_ID(last + ?) WHERE name = 'events'", [count]);
    return Number(insertId);
  }
  const { rows } = await runStatement<{ last: number }>(trx, "UPDATE event_sequence SET last = last + ? WHERE name = 'events' RETURNING last", [count]);
  return Number(rows[0]!.last);
}

/** An event id is `evt_` and 22 random base64url characters (128 bits): stable for the event's life, across every delivery. */
const ID_BYTES = 16;

export function eventOf(r: EventRow): DirectoryEvent {
  return {
    id: r.id,
    sequence: Number(r.sequence),
    type: r.type,
    occurredAt: new Date(Number(r.occurred_at)).toISOString(),
    sourceTime: r.source_time,
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    testFlag: Number(r.test_flag) === 1 || r.test_flag === true,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

export interface EventFilter {
  /** Events with a larger sequence than this. */
  after: number;
  limit: number;
  types?: EventType[];
  tenantId?: string;
  instanceId?: string;
}

/**
 * Events after the cursor, in sequence order. What is committed is always a prefix of the
 * sequence (see writeEvents), so reading past the last event returned never skips one.
 */
export async function readEvents(db: Db | Trx, filter: EventFilter): Promise<DirectoryEvent[]> {
  const q = db('events').where('sequence', '>', filter.after);
  if (filter.types?.length) q.whereIn('type', filter.types);
  if (filter.tenantId !== undefined) q.andWhere('tenant_id', filter.tenantId);
  if (filter.instanceId !== undefined) q.andWhere('instance_id', filter.instanceId);
  const rows: EventRow[] = await q.orderBy('sequence').limit(filter.limit);
  return rows.map(eventOf);
}

/** The events of these sequences that are still kept, in sequence order (a webhook delivery sends one). */
export async function eventsBySequence(db: Db | Trx, sequences: number[]): Promise<DirectoryEvent[]> {
  if (sequences.length === 0) return [];
  const rows: EventRow[] = await db('events').whereIn('sequence', sequences).orderBy('sequence');
  return rows.map(eventOf);
}

/** The largest sequence retention has deleted, and the last one handed out. */
export async function eventBounds(db: Db | Trx): Promise<{ purgedThrough: number; last: number }> {
  const row: { purged_through: BigNumber; last: BigNumber } = await db('event_sequence').where('name', 'events').first('purged_through', 'last');
  return { purgedThrough: Number(row.purged_through), last: Number(row.last) };
}

/** Deletes events older than the retention, a batch at a time, and records how far it went. */
export async function purgeOldEvents(db: Db, retentionDays: number, now = Date.now(), stopping?: AbortSignal): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  let deleted = 0;
  while (!stopping?.aborted) {
    // Old events come first in sequence order: the scan stops at the first batch's end.
    const sequences: BigNumber[] = await db('events').where('occurred_at', '<', cutoff).orderBy('sequence').limit(5000).pluck('sequence');
    if (sequences.length === 0) return deleted;
    const through = Number(sequences[sequences.length - 1]);
    await inTransaction(db, async (trx) => {
      deleted += await trx('events').where('sequence', '<=', through).andWhere('occurred_at', '<', cutoff).delete();
      await trx('event_sequence').where('name', 'events').andWhere('purged_through', '<', through).update({ purged_through: through });
    });
  }
  return deleted;
}
