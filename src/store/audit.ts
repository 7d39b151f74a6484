import { createHash } from 'node:crypto';
import type { Db, Trx } from './db.js';
import { insertStatement, runStatement } from './statements.js';

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
  await runStatement(db, sql, params);
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
