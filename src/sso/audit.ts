import type { Db, Trx } from '../store/db.js';
import { randomBytes } from 'node:crypto';
import { anonymousRefusalKey, countAnonymousRefusal, writeAudit, type AuditRecord } from '../store/audit.js';
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
export async function auditRefusal(db: Db, callName: string, refusal: SsoRefusal, startedAt: number, source: string): Promise<string> {
  const who = refusal.subject;
  const anonymous = !who.userName;
  const record = { channel: 'sso', callName, resultCode: String(refusal.status) } as const;
  const key = anonymous ? anonymousRefusalKey(record, source, refusal.reason) : undefined;
  // Repeats counted in one row share its reference, so whichever of them a person quotes finds it.
  const reference = key ? `KB-${key.slice(0, 8).toUpperCase()}` : supportReference();
  const full: AuditRecord = {
    ...record,
    instanceId: who.instanceId,
    tenantId: who.tenantId,
    resultMsg: `${reference} ${refusal.reason}: ${refusal.message}`,
    outcome: 'rejected',
    detail: { reason: refusal.reason, reference, appId: who.appId, userName: who.userName },
    startedAt,
  };
  await (key ? countAnonymousRefusal(db, full, source, refusal.reason, key) : writeAudit(db, full));
  return reference;
}

/** A code a person can read out to support; the page, the log line and the audit record carry the same. */
export const supportReference = () => `KB-${randomBytes(4).toString('hex').toUpperCase()}`;
