import { createHash } from 'node:crypto';
import type { Db, Trx } from './db.js';
import { insertStatement, runLater } from './statements.js';

export interface AuditRecord {
  /** api: the merchant's decisions through the bearer API (held syncs); admin: through the admin console; resultCode is the HTTP status there, as for sso. */
  channel: 'kit' | 'basic' | 'sso' | 'api' | 'admin';
  callName: string;
  instanceId?: string | null;
  tenantId?: string | null;
  nonce?: string | null;
  signForm?: string | null;
  resultCode: string;
  resultMsg: string;
  /** held: a full sync kept for the merchant to decide; replayed: a resend of a request answered before, told the same answer. */
  outcome: 'applied' | 'stale' | 'held' | 'rejected' | 'error' | 'replayed';
  detail?: Record<string, unknown>;
  /** Which access key the signature matched, kept in detail.key (never the key itself). */
  signKey?: 'current' | 'previous';
  testFlag?: boolean | null;
  startedAt: number;
}

/** One row per marketplace call (and per refused login). Callers pass counts, never secrets. */
export async function writeAudit(db: Db | Trx, r: AuditRecord): Promise<void> {
  const row = auditRow(r, Date.now());
  const { sql, params } = insertStatement('audit_log', Object.keys(row), [row]);
  await runLater(db, sql, params);
}

/**
 * A refusal of a request that proved no credential: anyone can send those, so they are counted per
 * source, minute and kind of refusal (one row, `repeats` raised) instead of growing the table one
 * row per request. `kind` and the call name must come from a small set (no attacker-chosen text).
 */
export async function countAnonymousRefusal(db: Db, r: AuditRecord, source: string, kind: string, key = anonymousRefusalKey(r, source, kind)): Promise<void> {
  const row = { ...auditRow(r, Date.now()), source: source.slice(0, 64), aggregate_key: key };
  await db('audit_log')
    .insert(row)
    .onConflict('aggregate_key')
    .merge({ repeats: db.raw('?? + 1', ['audit_log.repeats']) });
}

/** The row an anonymous refusal is counted in (hex): the same for every repeat in that minute. */
export function anonymousRefusalKey(r: Pick<AuditRecord, 'channel' | 'callName' | 'resultCode'>, source: string, kind: string, at = Date.now()): string {
  const key = [Math.floor(at / 60_000), source, r.channel, r.callName, r.resultCode, kind].join('|');
  return createHash('sha256').update(key).digest('hex');
}

/** Deletes audit records older than the retention, a batch at a time so no statement holds the table long. */
export async function purgeOldAudit(db: Db, retentionDays: number, now = Date.now(), stopping?: AbortSignal): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  let deleted = 0;
  // A shutdown stops it between batches; the next run deletes the rest.
  while (!stopping?.aborted) {
    const ids = await db('audit_log').where('at', '<', cutoff).orderBy('id').limit(5000).pluck('id');
    if (ids.length === 0) return deleted;
    deleted += await db('audit_log').whereIn('id', ids).delete();
  }
  return deleted;
}

function auditRow(r: AuditRecord, at: number) {
  const detail = r.signKey ? { ...r.detail, key: r.signKey } : r.detail;
  return {
    at,
    channel: r.channel,
    call_name: r.callName.slice(0, 32),
    instance_id: r.instanceId?.slice(0, 64) ?? null,
    tenant_id: r.tenantId?.slice(0, 64) ?? null,
    nonce: r.nonce?.slice(0, 128) ?? null,
    sign_form: r.signForm ?? null,
    result_code: r.resultCode,
    result_msg: r.resultMsg.slice(0, 255),
    outcome: r.outcome,
    detail: detail ? JSON.stringify(detail) : null,
    test_flag: r.testFlag == null ? null : r.testFlag ? 1 : 0,
    duration_ms: Math.max(0, at - r.startedAt),
  };
}

/** What the audit log can be narrowed to; every field optional. Times are epoch ms, `until` exclusive. */
export interface AuditFilter {
  channel?: string;
  callName?: string;
  resultCode?: string;
  tenantId?: string;
  instanceId?: string;
  since?: number;
  until?: number;
}

/** Where a page of the log starts: just older than the last row of the page before. */
export interface AuditCursor {
  at: number;
  id: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  channel: string;
  callName: string;
  instanceId: string | null;
  tenantId: string | null;
  nonce: string | null;
  signForm: string | null;
  resultCode: string;
  resultMsg: string;
  outcome: string;
  detail: Record<string, unknown> | null;
  testFlag: boolean | null;
  durationMs: number;
  /** How many refusals one counted row stands for (1 for a call audited on its own). */
  repeats: number;
  source: string | null;
}

const FILTER_COLUMNS = { channel: 'channel', callName: 'call_name', resultCode: 'result_code', tenantId: 'tenant_id', instanceId: 'instance_id' } as const;

/**
 * One page of the log, newest first. The page after is asked by the cursor of this page's last row
 * (keyset: no offset, so a page deep in a million rows reads as few rows as the first).
 */
export async function listAudit(db: Db, filter: AuditFilter, limit: number, after?: AuditCursor): Promise<{ items: AuditEntry[]; next?: AuditCursor }> {
  const q = db('audit_log');
  for (const [key, column] of Object.entries(FILTER_COLUMNS)) {
    const value = filter[key as keyof typeof FILTER_COLUMNS];
    if (value !== undefined && value !== '') q.where(column, value);
  }
  if (filter.since !== undefined) q.where('at', '>=', filter.since);
  if (filter.until !== undefined) q.where('at', '<', filter.until);
  if (after) q.where((w) => w.where('at', '<', after.at).orWhere((same) => same.where('at', after.at).andWhere('id', '<', after.id)));
  const rows = await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1);
  const items = rows.slice(0, limit).map(entryOf);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? { at: last.at, id: last.id } : undefined };
}

/** One audited call by its id. */
export async function auditEntry(db: Db, id: number): Promise<AuditEntry | undefined> {
  const row = await db('audit_log').where({ id }).first();
  return row ? entryOf(row) : undefined;
}

/** Calls since a time, counted by channel, call and resultCode (refusals counted as their repeats). */
export async function auditCounts(db: Db, since: number): Promise<Array<{ channel: string; callName: string; resultCode: string; calls: number }>> {
  const rows: Array<Record<string, any>> = await db('audit_log')
    .where('at', '>=', since)
    .groupBy('channel', 'call_name', 'result_code')
    .select('channel', 'call_name', 'result_code')
    .sum({ calls: 'repeats' })
    .orderBy([{ column: 'channel' }, { column: 'call_name' }, { column: 'result_code' }]);
  return rows.map((r) => ({ channel: r.channel, callName: r.call_name, resultCode: r.result_code, calls: Number(r.calls) }));
}

/** The most recent calls that were refused or failed, newest first. */
export async function latestFailures(db: Db, limit: number): Promise<AuditEntry[]> {
  const rows = await db('audit_log').whereIn('outcome', ['rejected', 'error']).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
  return rows.map(entryOf);
}

function entryOf(r: Record<string, any>): AuditEntry {
  return {
    id: Number(r.id),
    at: Number(r.at),
    channel: r.channel,
    callName: r.call_name,
    instanceId: r.instance_id ?? null,
    tenantId: r.tenant_id ?? null,
    nonce: r.nonce ?? null,
    signForm: r.sign_form ?? null,
    resultCode: r.result_code,
    resultMsg: r.result_msg,
    outcome: r.outcome,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    testFlag: r.test_flag == null ? null : Boolean(r.test_flag),
    durationMs: Number(r.duration_ms),
    repeats: Number(r.repeats ?? 1),
    source: r.source ?? null,
  };
}
