import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { answerDueAt, dialectOf, inTransaction, lockWaitAtMost, onCommit, type Db, type Trx } from './db.js';
import { insertStatement, runLater, runStatement } from './statements.js';
import { inTurns } from './upsertNewer.js';
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

/**
 * Many events of one type, instance, tenant, test flag and time whose objects show the same keys in
 * the same order, as a large call makes them: `same` holds the values all of them share, each of
 * `rows` the other values of one event, in the keys' order. Written as runs (see runOf) with no
 * object per event ever made: at 100,000 departments the objects cost more than their text.
 */
export interface NewEventBatch extends Omit<NewEvent, 'data'> {
  keys: string[];
  same: Record<string, unknown>;
  rows: unknown[][];
}

type Pending = NewEvent | NewEventBatch;
const isBatch = (p: Pending): p is NewEventBatch => 'rows' in p;
const sizeOf = (p: Pending) => (isBatch(p) ? p.rows.length : 1);

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

/**
 * A row of the outbox: one event, or a run of one large call's events of one type, tenant and
 * time (sequences `sequence` through `last_sequence`, `data` then as runOf writes it).
 */
export interface EventRow {
  sequence: BigNumber;
  last_sequence: BigNumber;
  id: string;
  type: EventType;
  occurred_at: BigNumber;
  source_time: string | null;
  instance_id: string | null;
  tenant_id: string | null;
  test_flag: Flag;
  data: string;
}

const pending = new WeakMap<Trx, Pending[]>();
/** Keyed by the knex client's settings, which a transaction's client shares with its pool's. */
const committedListeners = new WeakMap<object, Set<(count: number) => void>>();

/**
 * Adds events to the transaction's outbox. They are written as its last statements and commit or
 * roll back with everything else it did (the transaction must be run by inTransaction).
 */
export function emit(trx: Trx, events: (NewEvent | NewEventBatch)[]): void {
  for (const e of events) {
    const own = isBatch(e) ? e.keys.filter((k) => !Object.hasOwn(e.same, k)).length : 0;
    if (isBatch(e) && e.rows.some((r) => r.length !== own)) throw new Error(`event batch ${e.type}: each row must hold ${own} values`);
  }
  const added = events.filter((e) => sizeOf(e) > 0);
  if (added.length === 0) return;
  const list = pending.get(trx);
  if (list) {
    for (const e of added) list.push(e);
    return;
  }
  pending.set(trx, added);
  onCommit(trx, {
    before: () => writeEvents(trx, pending.get(trx)!),
    after: () => {
      const count = pending.get(trx)!.reduce((n, e) => n + sizeOf(e), 0);
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

/** Rows per insert: 10 values each, well below either store's limit on bound values. */
const INSERT_ROWS = 1_000;
/** Rows of runs per insert (about RUN_BYTES each: well below MySQL's max_allowed_packet), sent prepared. */
const INSERT_RUNS = 8;
/**
 * A call of this many events writes them as runs, up to RUN_EVENTS (and about RUN_BYTES of JSON)
 * a row: a 100,000-department sync writes 200 rows besides its departments, not 100,000. Smaller
 * calls write a row per event. RUN_EVENTS bounds every read's range (see rowsFrom): it only grows
 * with a migration that splits longer runs.
 */
const RUN_FROM = 100;
const RUN_EVENTS = 500;
const RUN_BYTES = 1_000_000;
const COLUMNS = ['sequence', 'last_sequence', 'id', 'type', 'occurred_at', 'source_time', 'instance_id', 'tenant_id', 'test_flag', 'data'];

/** Events that can share a row: what a row says once for all of them. */
const sameRow = (a: NewEvent, b: NewEvent) => a.type === b.type && a.instanceId === b.instanceId && a.tenantId === b.tenantId && a.testFlag === b.testFlag && a.sourceTime === b.sourceTime;

/**
 * How long before its answer is due a call may still leave its events' numbers to its COMMIT's
 * packet (see writeEvents). The counter row may be held meanwhile by a large sync writing its
 * events: at 100,000 departments, for a few hundred milliseconds.
 */
const COUNTER_WAIT_MARGIN_MS = 2_000;
/** Events few enough to go in the COMMIT's packet: their insert stays a text statement (see runLater). */
const AT_COMMIT_EVENTS = 16;

/**
 * Takes a number per event from the counter row, then inserts the events. On MySQL the row stays
 * locked until the transaction commits: another transaction taking numbers waits, so the numbers
 * are handed out in commit order. SQLite runs one writer at a time, so its order is that already.
 * A small call's events on MySQL are numbered by the database itself (LAST_INSERT_ID, which the
 * counter's update sets) in the packet that commits: the row is then locked only while the
 * database runs those three statements, not for round trips through a busy server. The call's
 * deadline is then checked before the row is taken, not after: so the wait for the row is bounded
 * to end at least a second before the answer is due (the call then fails and is not committed).
 * A call whose answer is due within COUNTER_WAIT_MARGIN_MS takes its numbers first, as before.
 */
async function writeEvents(trx: Trx, items: Pending[]): Promise<void> {
  const count = items.reduce((n, e) => n + sizeOf(e), 0);
  const runs = count >= RUN_FROM;
  const left = answerDueAt(trx) - Date.now();
  const atCommit = count <= AT_COMMIT_EVENTS && dialectOf(trx) === 'mysql' && left > COUNTER_WAIT_MARGIN_MS;
  const last = atCommit ? undefined : await takeSequences(trx, count);
  if (atCommit) {
    if (left < Infinity) lockWaitAtMost(trx, left / 1000 - 1);
    await runLater(trx, TAKE_SEQUENCES_MYSQL, [count]);
  }
  // A row's numbers: known here, or as how far below the counter's new value they are.
  const numbered = (from: number, to: number) => (last === undefined ? { sequence: count - 1 - from, last_sequence: count - 1 - to } : { sequence: last - count + 1 + from, last_sequence: last - count + 1 + to });
  const expressions: Record<string, string> = last === undefined ? { sequence: 'LAST_INSERT_ID() - ?', last_sequence: 'LAST_INSERT_ID() - ?' } : {};
  const occurredAt = Date.now();
  const callId = `evt_${randomBytes(ID_RANDOM_BYTES).toString('base64url').slice(0, ID_RANDOM_CHARS)}`;
  const perStatement = runs ? INSERT_RUNS : INSERT_ROWS;
  // Events one at a time (consecutive ones may share a run), and batches.
  const segments: (NewEvent[] | NewEventBatch)[] = [];
  for (const e of items) {
    const open = segments[segments.length - 1];
    if (isBatch(e)) segments.push(e);
    else if (Array.isArray(open)) open.push(e);
    else segments.push([e]);
  }
  function* statements() {
    let rows: Record<string, string | number | null>[] = [];
    let written = 0;
    for (const segment of segments) {
      for (const { head, count, data } of rowsOf(segment, runs)) {
        rows.push({
          ...numbered(written, written + count - 1),
          id: callId + countChars(written),
          type: head.type,
          occurred_at: occurredAt,
          source_time: head.sourceTime,
          instance_id: head.instanceId,
          tenant_id: head.tenantId,
          test_flag: head.testFlag ? 1 : 0,
          data,
        });
        written += count;
        if (rows.length >= perStatement) {
          yield insertStatement('events', COLUMNS, rows, expressions);
          rows = [];
        }
      }
    }
    if (rows.length > 0) yield insertStatement('events', COLUMNS, rows, expressions);
  }
  if (runs) return inTurns(trx, statements, { prepared: true });
  // A small call's events go with its COMMIT (see runLater): on MySQL the counter's lock is held a round trip less, or none.
  for (const { sql, params } of statements()) await runLater(trx, sql, params);
}

/** The rows a segment is written as: what each says for all of its events, how many it holds, its `data`. */
function* rowsOf(segment: NewEvent[] | NewEventBatch, runs: boolean): Generator<{ head: Omit<NewEvent, 'data'>; count: number; data: string }> {
  const size = Array.isArray(segment) ? segment.length : segment.rows.length;
  for (let i = 0; i < size; ) {
    const { end, data } = !Array.isArray(segment) ? batchRunOf(segment, i) : runs ? runOf(segment, i) : { end: i + 1, data: JSON.stringify(segment[i]!.data) };
    yield { head: Array.isArray(segment) ? segment[i]! : segment, count: end - i, data };
    i = end;
  }
}

/** The `data` of a run: the keys once, the values all of its events share, the rows of the others. */
const runText = (keys: string[], same: Record<string, unknown>, rows: string) => `{"ids":"counted","keys":${JSON.stringify(keys)},"same":${JSON.stringify(same)},"rows":${rows}}`;

/** The run of a batch's events from `from`: up to `most` (RUN_EVENTS) and RUN_BYTES of rows. */
function batchRunOf(batch: NewEventBatch, from: number, most = RUN_EVENTS): { end: number; data: string } {
  const end = Math.min(batch.rows.length, from + most);
  if (end === from + 1) return { end, data: JSON.stringify(objectOf(batch.keys, batch.same, batch.rows[from]!, 0)) };
  const text = JSON.stringify(batch.rows.slice(from, end));
  if (text.length > RUN_BYTES) return batchRunOf(batch, from, Math.ceil((end - from) / 2));
  return { end, data: runText(batch.keys, batch.same, text) };
}

/** An event's object from its run: the keys in order, each value shared or the next of the row from `next`. */
function objectOf(keys: string[], same: Record<string, unknown>, row: unknown[], next: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const k of keys) data[k] = Object.hasOwn(same, k) ? same[k] : row[next++];
  return data;
}

/** The keys an event's object shows (JSON leaves out those set to undefined), in its order. */
const shownKeys = (data: object) => Object.keys(data).filter((k) => (data as Record<string, unknown>)[k] !== undefined);
/** Whether the object shows exactly these keys in this order (as shownKeys would say, without making the list). */
function showsKeys(data: object, keys: string[]): boolean {
  let shown = 0;
  for (const k in data) {
    if ((data as Record<string, unknown>)[k] === undefined) continue;
    if (keys[shown++] !== k) return false;
  }
  return shown === keys.length;
}

/**
 * The run starting at event `from`: the events after it of the same row (sameRow) and the same
 * keys, up to `most` (RUN_EVENTS) and RUN_BYTES of rows. Its `data` says the keys once, once each
 * value all of them share (their instance and tenant, their time), and per event the other values
 * (its id counts on from the row's): a fifth of the text of an object and its id per event, which
 * cost more to write than the departments themselves. A run of one is the event's object, as a
 * row of one event holds.
 */
function runOf(events: NewEvent[], from: number, most = RUN_EVENTS): { end: number; data: string } {
  const first = events[from]!;
  const keys = shownKeys(first.data);
  let end = from + 1;
  while (end < events.length && end - from < most && sameRow(first, events[end]!) && showsKeys(events[end]!.data, keys)) end++;
  if (end === from + 1) return { end, data: JSON.stringify(first.data) };
  const values = (i: number) => events[i]!.data as Record<string, unknown>;
  const head = values(from);
  const shared = new Set(keys.filter((k) => {
    const v = head[k];
    if (v !== null && typeof v === 'object') return false;
    for (let i = from + 1; i < end; i++) if (values(i)[k] !== v) return false;
    return true;
  }));
  const own = keys.filter((k) => !shared.has(k));
  // Lists, written by one JSON.stringify: a call of it per value cost three times as much.
  const rows: unknown[][] = [];
  for (let i = from; i < end; i++) {
    const d = values(i);
    const row: unknown[] = [];
    for (const k of own) row.push(d[k]);
    rows.push(row);
  }
  const text = JSON.stringify(rows);
  // Events with large objects: the run holds half as many, and the next run starts after them.
  if (text.length > RUN_BYTES) return runOf(events, from, Math.ceil((end - from) / 2));
  const same = Object.fromEntries([...shared].map((k) => [k, head[k]]));
  return { end, data: runText(keys, same, text) };
}

const TAKE_SEQUENCES_MYSQL = "UPDATE event_sequence SET last = LAST_INSERT_ID(last + ?) WHERE name = 'events'";

async function takeSequences(trx: Trx, count: number): Promise<number> {
  if (dialectOf(trx) === 'mysql') {
    // LAST_INSERT_ID(expr) hands the new value back in the update's own answer: one round trip,
    // sent past knex, for the row stays locked from here to the commit.
    const { insertId } = await runStatement(trx, TAKE_SEQUENCES_MYSQL, [count]);
    return Number(insertId);
  }
  const { rows } = await runStatement<{ last: number }>(trx, "UPDATE event_sequence SET last = last + ? WHERE name = 'events' RETURNING last", [count]);
  return Number(rows[0]!.last);
}

/**
 * An event id is `evt_` and 22 base64url characters, stable for the event's life, across every
 * delivery: 18 random ones (108 bits) that a call's events share, and 4 that count the event
 * within the call. A run's row holds the id of its first event; the others count on from it.
 */
const ID_RANDOM_CHARS = 18;
const ID_RANDOM_BYTES = 14;
const ID_COUNT_CHARS = 4;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** n (below 64^4, far more events than a call's body can carry) in ID_COUNT_CHARS characters. */
function countChars(n: number): string {
  let chars = '';
  for (let shift = 6 * (ID_COUNT_CHARS - 1); shift >= 0; shift -= 6) chars += BASE64URL[(n >> shift) & 63];
  return chars;
}

/** The id of the event `k` places after the one with this id, in the same call. */
function idAfter(id: string, k: number): string {
  const head = id.length - ID_COUNT_CHARS;
  let n = 0;
  for (let i = head; i < id.length; i++) n = n * 64 + BASE64URL.indexOf(id[i]!);
  return id.slice(0, head) + countChars(n + k);
}

/** The events a row holds, in sequence order. */
export function eventsOf(r: EventRow): DirectoryEvent[] {
  const sequence = Number(r.sequence);
  const common = {
    type: r.type,
    occurredAt: new Date(Number(r.occurred_at)).toISOString(),
    sourceTime: r.source_time,
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    testFlag: Number(r.test_flag) === 1 || r.test_flag === true,
  };
  if (Number(r.last_sequence) === sequence) return [{ id: r.id, sequence, ...common, data: JSON.parse(r.data) as Record<string, unknown> }];
  const run = JSON.parse(r.data) as [string, Record<string, unknown>][] | { ids?: 'counted'; keys: string[]; same: Record<string, unknown>; rows: unknown[][] };
  // Runs written before the keys were said once list [id, object] pairs.
  if (Array.isArray(run)) return run.map(([id, data], i) => ({ id, sequence: sequence + i, ...common, data }));
  const { ids, keys, same, rows } = run;
  // Runs written before ids were counted start each row with its event's id.
  const counted = ids === 'counted';
  return rows.map((row, i) => ({ id: counted ? idAfter(r.id, i) : (row[0] as string), sequence: sequence + i, ...common, data: objectOf(keys, same, row, counted ? 0 : 1) }));
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
  const filtered = (q: Knex.QueryBuilder) => {
    if (filter.types?.length) q.whereIn('type', filter.types);
    if (filter.tenantId !== undefined) q.andWhere('tenant_id', filter.tenantId);
    if (filter.instanceId !== undefined) q.andWhere('instance_id', filter.instanceId);
    return q;
  };
  // First only the rows' ranges: the rows that hold `limit` events, read in full next.
  const ranges: { sequence: BigNumber; last_sequence: BigNumber }[] = await filtered(rowsFrom(db, filter.after))
    .orderBy('sequence')
    .limit(filter.limit)
    .select('sequence', 'last_sequence');
  if (ranges.length === 0) return [];
  let through = filter.after;
  let count = 0;
  for (const r of ranges) {
    through = Number(r.sequence);
    count += Number(r.last_sequence) - Math.max(through, filter.after + 1) + 1;
    if (count >= filter.limit) break;
  }
  const rows: EventRow[] = await filtered(rowsFrom(db, filter.after).andWhere('sequence', '<=', through)).orderBy('sequence');
  return rows.flatMap(eventsOf).filter((e) => e.sequence > filter.after).slice(0, filter.limit);
}

/** The rows holding events after `after`: a row starts at most a run before its last event. */
const rowsFrom = (db: Db | Trx, after: number) => db('events').where('sequence', '>', after + 1 - RUN_EVENTS).andWhere('last_sequence', '>', after);

/**
 * The events of the rows that hold these sequences, by sequence (a webhook delivery sends one; the
 * rest of a run is there for the next deliveries). Sequences retention deleted are missing.
 */
export async function eventsHolding(db: Db | Trx, sequences: number[]): Promise<Map<number, DirectoryEvent>> {
  const found = new Map<number, DirectoryEvent>();
  if (sequences.length === 0) return found;
  // Sequences near each other are one range of rows: a claim's deliveries are mostly consecutive.
  const sorted = [...sequences].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const s of sorted) {
    const r = ranges[ranges.length - 1];
    if (r && s - r[1] <= RUN_EVENTS) r[1] = s;
    else ranges.push([s, s]);
  }
  const rows: EventRow[] = await db('events')
    .where((q) => {
      for (const [from, to] of ranges) q.orWhere((r) => r.where('sequence', '>', from - RUN_EVENTS).andWhere('sequence', '<=', to).andWhere('last_sequence', '>=', from));
    })
    .orderBy('sequence');
  for (const row of rows) for (const e of eventsOf(row)) found.set(e.sequence, e);
  return found;
}

/** The largest sequence retention has deleted, and the last one handed out. */
export async function eventBounds(db: Db | Trx): Promise<{ purgedThrough: number; last: number }> {
  const row: { purged_through: BigNumber; last: BigNumber } = await db('event_sequence').where('name', 'events').first('purged_through', 'last');
  return { purgedThrough: Number(row.purged_through), last: Number(row.last) };
}

/** Deletes events older than the retention, a batch of rows at a time, and records how far it went. */
export async function purgeOldEvents(db: Db, retentionDays: number, now = Date.now(), stopping?: AbortSignal): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  let deleted = 0;
  while (!stopping?.aborted) {
    // Old events come first in sequence order: the scan stops at the first batch's end.
    const rows: { sequence: BigNumber; last_sequence: BigNumber }[] = await db('events').where('occurred_at', '<', cutoff).orderBy('sequence').limit(5000).select('sequence', 'last_sequence');
    if (rows.length === 0) return deleted;
    const lastRow = rows[rows.length - 1]!;
    const through = Number(lastRow.last_sequence);
    await inTransaction(db, async (trx) => {
      const removed = await trx('events').where('sequence', '<=', lastRow.sequence).andWhere('occurred_at', '<', cutoff).delete();
      // Counted in events: the rows read are the rows deleted, unless another process purged meanwhile.
      deleted += removed === rows.length ? rows.reduce((n, r) => n + Number(r.last_sequence) - Number(r.sequence) + 1, 0) : removed;
      await trx('event_sequence').where('name', 'events').andWhere('purged_through', '<', through).update({ purged_through: through });
    }, { long: true });
  }
  return deleted;
}
