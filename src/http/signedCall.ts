import type { Context, Middleware } from 'koa';
import type { Runtime } from '../runtime.js';
import type { MarketplaceAction, CallResult } from '../marketplace/action.js';
import { MarketplaceError, ResultCode, authFailed, invalidParam, resultMsg, type ResultCodeValue } from '../marketplace/resultCodes.js';
import { matchingForm, payloadForms } from '../marketplace/signing.js';
import { parseBody } from '../marketplace/validation.js';
import { claimNonce } from '../store/nonces.js';
import { writeAudit, type AuditRecord } from '../store/audit.js';
import { inTransaction } from '../store/db.js';
import { readJsonObject } from './jsonBody.js';

export interface Credentials {
  sign?: string;
  timestamp?: string;
  nonce?: string;
}

/** How one family of marketplace calls (kit or basic) is addressed, signed and dispatched. */
export interface SignedCallSpec {
  channel: 'kit' | 'basic';
  credentials(ctx: Context): Credentials;
  /** Names of the credentials in the request, for messages ("x-sign" or "signature"). */
  names: { sign: string; timestamp: string; nonce: string };
  signature(nonce: string, timestamp: string, payload: string): string;
  /** The call's name and action, chosen from the path or the body once the signature holds. */
  dispatch(ctx: Context, body: Record<string, unknown>): { name: string; action: MarketplaceAction };
  /** The call's name before dispatch, for the audit of refused requests. */
  nameOf(ctx: Context, body?: Record<string, unknown>): string;
}

/**
 * The pipeline every marketplace call goes through: read → verify signature → claim nonce →
 * validate → one transaction (use-case, revocations, audit) → answer HTTP 200 with a resultCode.
 * A refusal is audited outside the (rolled back) transaction; nothing escapes as a 500.
 */
export function signedCall(rt: Runtime, spec: SignedCallSpec): Middleware {
  return async (ctx) => {
    const audit: AuditRecord = {
      channel: spec.channel,
      callName: spec.nameOf(ctx),
      resultCode: ResultCode.success,
      resultMsg: 'Success',
      outcome: 'applied',
      startedAt: Date.now(),
    };
    ctx.state.audit = audit;
    try {
      const { raw, body } = await readJsonObject(ctx, rt.config.bodyLimitBytes);
      audit.callName = spec.nameOf(ctx, body);
      audit.instanceId = typeof body.instanceId === 'string' ? body.instanceId : null;
      audit.tenantId = typeof body.tenantId === 'string' ? body.tenantId : null;
      const signed = verify(rt, spec, ctx, raw, body, audit);
      const { name, action } = spec.dispatch(ctx, body);
      audit.callName = name;
      const parsed = parseBody(action.schema, body);
      const result = await inTransaction(rt.db, async (trx) => {
        // One commit per call: the nonce is spent together with what the call wrote.
        if (!(await claimNonce(trx, spec.channel, signed.nonce, signed.expiresAt))) {
          throw authFailed(`${spec.names.nonce}: already used; replayed request refused`);
        }
        const r = await action.execute(trx, parsed);
        await rt.changes.applyInTransaction(trx, r.changes);
        await writeAudit(trx, withResult(audit, r));
        return r;
      });
      rt.changes.committed(result.changes);
      answer(ctx, ResultCode.success, 'Success', result.response);
    } catch (err) {
      const refusal = err instanceof MarketplaceError ? err : undefined;
      if (!refusal) rt.log.error({ call: audit.callName, err: describe(err) }, 'marketplace call failed');
      audit.resultCode = refusal?.resultCode ?? ResultCode.internalError;
      audit.resultMsg = resultMsg(refusal?.message ?? 'internal error; the call changed nothing, please retry');
      audit.outcome = refusal ? 'rejected' : 'error';
      await writeAudit(rt.db, audit).catch((e) => rt.log.error({ err: describe(e) }, 'audit write failed'));
      answer(ctx, audit.resultCode as ResultCodeValue, audit.resultMsg);
    }
  };
}

function withResult(audit: AuditRecord, r: CallResult): AuditRecord {
  audit.outcome = r.outcome;
  audit.instanceId = r.instanceId ?? audit.instanceId;
  audit.tenantId = r.tenantId ?? audit.tenantId;
  audit.testFlag = r.testFlag;
  audit.detail = r.detail;
  if (r.outcome === 'stale') audit.resultMsg = 'Success (stale: newer data kept)';
  return audit;
}

/** Checks the credentials; the nonce is claimed later, inside the call's transaction. */
function verify(
  rt: Runtime,
  spec: SignedCallSpec,
  ctx: Context,
  raw: string,
  body: Record<string, unknown>,
  audit: AuditRecord,
): { nonce: string; expiresAt: number } {
  const { sign, timestamp, nonce } = spec.credentials(ctx);
  const n = spec.names;
  if (!timestamp) throw invalidParam(`${n.timestamp}: is required`);
  if (!nonce) throw invalidParam(`${n.nonce}: is required`);
  if (nonce.length > 128 || /\s/.test(nonce)) throw invalidParam(`${n.nonce}: must be at most 128 characters without spaces`);
  audit.nonce = nonce;
  const sentAt = epochMillis(timestamp);
  if (sentAt === undefined) throw invalidParam(`${n.timestamp}: must be UNIX time in milliseconds (or seconds)`);
  const windowMs = rt.config.signatureWindowSeconds * 1000;
  if (Math.abs(Date.now() - sentAt) > windowMs) {
    throw invalidParam(`${n.timestamp}: more than ${rt.config.signatureWindowSeconds} s away from the server's clock`);
  }
  if (!sign) throw authFailed(`${n.sign}: is required`);
  const form = matchingForm(sign, payloadForms(raw, body, rt.config.acceptCanonicalPayload), (p) => spec.signature(nonce, timestamp, p));
  if (!form) throw authFailed(`${n.sign}: signature does not match`);
  audit.signForm = form;
  // Kept until the timestamp could no longer pass the window, so every replay is caught.
  return { nonce, expiresAt: sentAt + windowMs + 1000 };
}

/** 13-digit milliseconds, or 10-digit seconds as older pages describe (spec §3.4). */
function epochMillis(ts: string): number | undefined {
  if (/^\d{13}$/.test(ts)) return Number(ts);
  if (/^\d{10}$/.test(ts)) return Number(ts) * 1000;
  return undefined;
}

function answer(ctx: Context, code: ResultCodeValue, message: string, extra?: Record<string, unknown>) {
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.body = { resultCode: code, resultMsg: message, ...extra };
}

/** Error text for logs: message and code only; driver errors can carry bound values. */
export function describe(err: unknown): { message: string; code?: string } {
  const e = err as { message?: string; code?: string; sqlMessage?: string };
  return { message: e?.sqlMessage ?? e?.message ?? String(err), code: e?.code };
}
