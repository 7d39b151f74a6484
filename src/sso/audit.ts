import type { Db, Trx } from '../store/db.js';
import { countAnonymousRefusal, writeAudit, type AuditRecord } from '../store/audit.js';
import type { SsoRefusal, RefusalSubject } from './refusal.js';

/** Audit records of the SSO channel: resultCode is the HTTP status shown to the browser. */

export function auditLogin(db: Db | Trx, callName: 'login' | 'logout', who: RefusalSubject, startedAt: number): Promise<void> {
  return writeAudit(db, {
    channel: 'sso',
    callName,
    instanceId: who.instanceId,
    tenantId: who.tenantId,
    resultCode: '200',
    resultMsg: callName === 'login' ? 'signed in' : 'signed out',
    outcome: 'applied',
    detail: { appId: who.appId, userName: who.userName },
    startedAt,
  });
}

/**
 * A refused login step. Until the identity provider has named the user, the request proved nothing
 * (anyone can open /sso/login or /sso/callback), so such refusals are counted per source and minute
 * by reason rather than stored one by one.
 */
export function auditRefusal(db: Db, callName: string, refusal: SsoRefusal, startedAt: number, source: string): Promise<void> {
  const who = refusal.subject;
  const record: AuditRecord = {
    channel: 'sso',
    callName,
    instanceId: who.instanceId,
    tenantId: who.tenantId,
    resultCode: String(refusal.status),
    resultMsg: `${refusal.reason}: ${refusal.message}`,
    outcome: 'rejected',
    detail: { reason: refusal.reason, appId: who.appId, userName: who.userName },
    startedAt,
  };
  return who.userName ? writeAudit(db, record) : countAnonymousRefusal(db, record, source, refusal.reason);
}
