import type { Db, Trx } from './db.js';

export interface AuditRecord {
  channel: 'kit' | 'basic' | 'sso';
  callName: string;
  instanceId?: string | null;
  tenantId?: string | null;
  nonce?: string | null;
  signForm?: string | null;
  resultCode: string;
  resultMsg: string;
  outcome: 'applied' | 'stale' | 'rejected' | 'error';
  detail?: Record<string, unknown>;
  testFlag?: boolean | null;
  startedAt: number;
}

/** One row per marketplace call (and per refused login). Callers pass counts, never secrets. */
export async function writeAudit(db: Db | Trx, r: AuditRecord): Promise<void> {
  const at = Date.now();
  await db('audit_log').insert({
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
    detail: r.detail ? JSON.stringify(r.detail) : null,
    test_flag: r.testFlag == null ? null : r.testFlag ? 1 : 0,
    duration_ms: Math.max(0, at - r.startedAt),
  });
}
