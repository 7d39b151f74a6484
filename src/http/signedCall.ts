import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Runtime } from '../runtime.js';
import type { MarketplaceAction, CallResult } from '../marketplace/action.js';
import { ResultCode, authFailed, invalidParam, refusalOf, resultMsg } from '../marketplace/resultCodes.js';
import { keyFingerprint, sameSignature, type PayloadForm, type SignedPayload } from '../marketplace/signing.js';
import { canonicalPayload } from '../marketplace/canonicalJson.js';
import { parseInput } from '../marketplace/validation.js';
import { claimNonce, nonceUse, storeAnswer, type SpentNonce, type StoredAnswer } from '../store/nonces.js';
import { countAnonymousRefusal, writeAudit, type AuditRecord } from '../store/audit.js';
import { inTransaction, onCommit, type Db, type Trx } from '../store/db.js';
import { betweenStatements } from '../store/upsertNewer.js';
import { BodyGate } from './bodyGate.js';
import { observeClockSkew } from './clockSkew.js';
import { Deadline, StoreStalled } from './deadline.js';
import { parseBody, readBody } from './body.js';
import { describe } from '../log.js';

export interface Credentials {
  sign?: string;
  timestamp?: string;
  nonce?: string;
}

export interface AccessKeys {
  current: string;
  previous?: string;
}

/** How one family of marketplace calls (kit or basic) is addressed, signed and dispatched. */
export interface SignedCallSpec {
  channel: 'kit' | 'basic';
  credentials(ctx: Context): Credentials;
  /** Names of the credentials in the request, for messages ("x-sign" or "signature"). */
  names: { sign: string; timestamp: string; nonce: string };
  /** The access key, and during a change in the seller centre the one it replaces. */
  keys: AccessKeys;
  signature(key: string, nonce: string, timestamp: string, payload: SignedPayload): string;
  /** The calls there are: any other name is recorded (audit, metrics) as "unknown". */
  actions: Record<string, MarketplaceAction>;
  /** The call's name as requested, from the path or (once parsed) the body. */
  nameOf(ctx: Context, body?: Record<string, unknown>): string;
  /** The call's action, chosen once the signature holds (a refusal names what was asked). */
  dispatch(ctx: Context, body: Record<string, unknown>): MarketplaceAction;
}

/** One gate per process for all marketplace calls (kit and basic share the memory it protects). */
const gates = new WeakMap<Runtime, BodyGate>();
const gateOf = (rt: Runtime) => {
  if (!gates.has(rt)) gates.set(rt, new BodyGate(rt.config.largeBodyBytes, rt.config.largeBodyConcurrency));
  return gates.get(rt)!;
};

/**
 * The pipeline every marketplace call goes through: credentials present and fresh (before any
 * byte of the body is read) → a turn for a large body → read the bytes → signature over them →
 * parse → a resend of a request already answered gets that answer → validate → one transaction
 * (nonce, use-case, revocations, audit, the answer kept with the nonce) → HTTP 200 with a
 * resultCode. Nothing escapes as a 500.
 */
export function signedCall(rt: Runtime, spec: SignedCallSpec): Middleware {
  const knownName = (name: string) => (Object.hasOwn(spec.actions, name) ? name : 'unknown');
  return async (ctx) => {
    const audit: AuditRecord = {
      channel: spec.channel,
      callName: knownName(spec.nameOf(ctx)),
      resultCode: ResultCode.success,
      resultMsg: 'Success',
      outcome: 'applied',
      startedAt: Date.now(),
    };
    ctx.state.audit = audit;
    const deadline = new Deadline(audit.startedAt, rt.config.marketplaceCallTimeoutSeconds);
    const inTime = <T>(work: Promise<T>) => deadline.race(work, (err) => rt.log.warn({ call: audit.callName, err: describe(err) }, 'marketplace call ended after its deadline'));
    let signed: SpentNonce | undefined;
    let leave = () => {};
    try {
      const credentials = freshCredentials(rt, spec, ctx, audit);
      leave = await gateOf(rt).enter(ctx);
      const raw = await readBody(ctx, rt.config.bodyLimitBytes);
      // A large body's signature, hash and parse each hold the thread a while (see parseBody): other requests get a turn between them.
      const large = raw.length > rt.config.largeBodyBytes;
      const matched = verifySignature(rt, spec, credentials, raw, audit);
      audit.signForm = matched.form;
      audit.signKey = matched.key;
      ctx.state.clockSkew = { seconds: credentials.skewMs / 1000, verified: true };
      observeClockSkew(rt, credentials.skewMs, true);
      if (large) await betweenStatements();
      // From here the nonce is spent whatever the outcome, together with the answer the request got.
      signed = { scope: spec.channel, nonce: credentials.nonce, expiresAt: credentials.expiresAt, requestHash: requestHash(ctx, credentials, raw) };
      if (large) await betweenStatements();
      const body = await parseBody(raw);
      audit.callName = knownName(spec.nameOf(ctx, body));
      audit.instanceId = typeof body.instanceId === 'string' ? body.instanceId : null;
      audit.tenantId = typeof body.tenantId === 'string' ? body.tenantId : null;
      // A resend of a request already answered is told the same before any costly validation.
      // Where asking costs a round trip of its own (MySQL) and validating costs little (a small
      // body), the nonce's claim in the transaction finds the resend instead.
      const askFirst = rt.reads !== rt.db || large;
      const resent = askFirst ? await inTime(earlierAnswer(rt, rt.reads, spec, audit, signed)) : undefined;
      if (resent) return replyWith(ctx, await inTime(replayed(rt.db, audit, resent)));
      const spent = signed;
      const prepared = await validated(spec, ctx, body).catch(async (err) => {
        // A resend of a request refused here was refused the same way the first time: told so again.
        const earlier = !askFirst && refusalOf(err) ? await inTime(earlierAnswer(rt, rt.reads, spec, audit, spent)) : undefined;
        if (earlier) return { earlier };
        throw err;
      });
      if ('earlier' in prepared) return replyWith(ctx, await inTime(replayed(rt.db, audit, prepared.earlier)));
      const { action, input } = prepared;
      const { result, reply } = await inTime(inTransaction(rt.db, async (trx) => {
        // One commit per call: the nonce is spent together with what the call wrote and its answer.
        if (!(await claimNonce(trx, spent, SUCCESS))) return { reply: await replayed(trx, audit, (await earlierAnswer(rt, trx, spec, audit, spent, true)) ?? alreadyUsed(spec, audit)) };
        const r = await action.execute(trx, input, { sentAt: credentials.sentAt });
        await rt.changes.applyInTransaction(trx, r.changes, r);
        await writeAudit(trx, withResult(audit, r));
        // Most calls succeed; a held full sync commits its hold and still answers a failure code.
        const { resultCode, message } = r.answer ?? { resultCode: ResultCode.success, message: 'Success' };
        const reply = { resultCode, resultMsg: resultMsg(message), ...r.response };
        if (JSON.stringify(reply) !== SUCCESS_JSON) await storeAnswer(trx, spent, reply, r.secretInAnswer ? rt.box : undefined);
        // The last thing before the commit, after the event outbox's own last statements (they may
        // wait for the events counter): a call answered "retry" meanwhile must not commit.
        onCommit(trx, { before: async () => deadline.assertBefore() });
        return { result: r, reply };
      }, { until: deadline.at, long: large }));
      if (result) {
        rt.changes.committed(result.changes);
        if (result.notice) {
          ctx.state.notice = result.notice.kind;
          rt.log.warn({ call: audit.callName, instanceId: audit.instanceId, tenantId: audit.tenantId, ...result.notice.fields }, result.notice.message);
        }
      }
      replyWith(ctx, reply);
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) rt.log.error({ call: audit.callName, err: describe(err) }, 'marketplace call failed');
      audit.resultCode = refusal?.resultCode ?? ResultCode.internalError;
      audit.resultMsg = resultMsg(refusal?.message ?? 'internal error; the call changed nothing, please retry');
      audit.outcome = refusal ? 'rejected' : 'error';
      const audited = () => recordRefusal(rt, ctx, audit, signed).catch((e) => rt.log.error({ err: describe(e) }, 'audit write failed'));
      // A store that did not answer the call will not take its audit record soon either: answer first.
      if (StoreStalled.is(err)) ctx.res.once('close', () => void audited());
      else await audited();
      // A body we refused unread is not drained over a kept-alive connection.
      if (!ctx.req.readableEnded) ctx.set('Connection', 'close');
      replyWith(ctx, { resultCode: audit.resultCode, resultMsg: audit.resultMsg });
    } finally {
      leave();
    }
  };
}

/** The answer the nonce is claimed with, which most calls keep: stored again only when a call's differs. */
const SUCCESS: StoredAnswer = { resultCode: ResultCode.success, resultMsg: 'Success' };
const SUCCESS_JSON = JSON.stringify(SUCCESS);

/** The call's action and its validated input; a refusal (000002) names the field. */
async function validated(spec: SignedCallSpec, ctx: Context, body: Record<string, unknown>) {
  const action = spec.dispatch(ctx, body);
  const valid = parseInput(action.schema, body);
  return { action, input: action.finishValidation ? await action.finishValidation(valid) : valid };
}

/**
 * A refused call whose signature held spends its nonce (in its own transaction, the call's having
 * rolled back), with the refusal as its answer, so the same request cannot succeed later once what
 * it lacked exists: a resend is refused the same way. One that proved nothing is only counted.
 */
async function recordRefusal(rt: Runtime, ctx: Context, audit: AuditRecord, signed: SpentNonce | undefined): Promise<void> {
  // Before the signature holds, every message is one of a few fixed texts: it names the kind.
  if (!signed) return countAnonymousRefusal(rt.db, audit, ctx.ip || 'unknown', audit.resultMsg);
  await inTransaction(rt.db, async (trx) => {
    await claimNonce(trx, signed, { resultCode: audit.resultCode, resultMsg: audit.resultMsg });
    await writeAudit(trx, audit);
  });
}

/**
 * The answer an earlier arrival of this very request got (same bytes, same credentials): the
 * marketplace may send a request again when it lost the answer, and the request did its work the
 * first time. Undefined when the nonce is unspent; a different request with a spent nonce is
 * refused, for a nonce vouches for one request only.
 */
async function earlierAnswer(rt: Runtime, db: Db | Trx, spec: SignedCallSpec, audit: AuditRecord, n: SpentNonce, locked = false): Promise<StoredAnswer | undefined> {
  const use = await nonceUse(db, rt.box, n, locked);
  if (!use.spent) return undefined;
  return use.answer ?? alreadyUsed(spec, audit);
}

/** A resend is answered as before and audited as 'replayed': it did nothing. */
async function replayed(db: Db | Trx, audit: AuditRecord, answer: StoredAnswer): Promise<StoredAnswer> {
  audit.outcome = 'replayed';
  audit.resultCode = answer.resultCode;
  audit.resultMsg = answer.resultMsg;
  audit.detail = { resentRequest: 'same bytes and credentials as a request answered before; answered the same, nothing done' };
  await writeAudit(db, audit);
  return answer;
}

/** Identifies a request byte for byte: where it was sent, its credentials and its body. */
function requestHash(ctx: Context, c: FreshCredentials, raw: Buffer): string {
  return createHash('sha256').update(`${ctx.path}\n${c.sign}\n${c.timestamp}\n${c.nonce}\n`).update(raw).digest('hex');
}

function alreadyUsed(spec: SignedCallSpec, audit: AuditRecord): never {
  diagnose(audit, { nonceReused: true });
  throw authFailed(`${spec.names.nonce}: already used; replayed request refused`);
}

function replyWith(ctx: Context, stored: StoredAnswer) {
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.body = stored;
}

function withResult(audit: AuditRecord, r: CallResult): AuditRecord {
  audit.outcome = r.outcome;
  audit.instanceId = r.instanceId ?? audit.instanceId;
  audit.tenantId = r.tenantId ?? audit.tenantId;
  audit.testFlag = r.testFlag;
  audit.detail = r.detail;
  if (r.outcome === 'stale') audit.resultMsg = 'Success (stale: newer data kept)';
  if (r.answer) {
    audit.resultCode = r.answer.resultCode;
    audit.resultMsg = resultMsg(r.answer.message);
  }
  return audit;
}

interface FreshCredentials {
  nonce: string;
  expiresAt: number;
  sign: string;
  timestamp: string;
  sentAt: number;
  /** Our clock minus the request's, in ms. */
  skewMs: number;
}

/** Checks what the headers (or query) alone can tell: present, well-formed, within the window. */
function freshCredentials(rt: Runtime, spec: SignedCallSpec, ctx: Context, audit: AuditRecord): FreshCredentials {
  const { sign, timestamp, nonce } = spec.credentials(ctx);
  const n = spec.names;
  if (!timestamp) throw invalidParam(`${n.timestamp}: is required`);
  if (!nonce) throw invalidParam(`${n.nonce}: is required`);
  if (nonce.length > 128 || /\s/.test(nonce)) throw invalidParam(`${n.nonce}: must be at most 128 characters without spaces`);
  audit.nonce = nonce;
  const sentAt = epochMillis(timestamp);
  if (sentAt === undefined) throw invalidParam(`${n.timestamp}: must be UNIX time in milliseconds (or seconds)`);
  const windowMs = rt.config.signatureWindowSeconds * 1000;
  const skewMs = Date.now() - sentAt;
  // Kept for a refusal's diagnosis; a call that succeeds records what it changed instead.
  diagnose(audit, { skewSeconds: Math.round(skewMs / 1000) });
  if (Math.abs(skewMs) > windowMs) {
    // Refused before the body is read, so its signature is unknown: a hint about our clock, no proof.
    ctx.state.clockSkew = { seconds: skewMs / 1000, verified: false };
    observeClockSkew(rt, skewMs, false);
    throw invalidParam(`${n.timestamp}: more than ${rt.config.signatureWindowSeconds} s away from the server's clock`);
  }
  if (!sign) throw authFailed(`${n.sign}: is required`);
  // Kept until the timestamp could no longer pass the window, so every replay is caught.
  return { sign, timestamp, nonce, sentAt, skewMs, expiresAt: sentAt + windowMs + 1000 };
}

/**
 * The signature over the bytes as received; failing that (and when accepted, and the body is of a
 * sane size) over the Java demo's re-serialised form, made from the bytes so nothing JSON.parse
 * would round or reorder is lost. Each form is tried with the current key, then the previous one.
 */
function verifySignature(rt: Runtime, spec: SignedCallSpec, c: FreshCredentials, raw: Buffer, audit: AuditRecord): { form: PayloadForm; key: 'current' | 'previous' } {
  const keyFor = (payload: Buffer) => {
    if (sameSignature(spec.signature(spec.keys.current, c.nonce, c.timestamp, payload), c.sign)) return 'current';
    if (spec.keys.previous && sameSignature(spec.signature(spec.keys.previous, c.nonce, c.timestamp, payload), c.sign)) return 'previous';
    return undefined;
  };
  const onRaw = keyFor(raw);
  if (onRaw) return { form: 'raw', key: onRaw };
  const formsTried: PayloadForm[] = ['raw'];
  const mismatch = () => {
    diagnose(audit, { formsTried, keyFingerprints: keyFingerprints(rt) });
    return authFailed(`${spec.names.sign}: signature does not match`);
  };
  if (!rt.config.acceptCanonicalPayload || raw.length > rt.config.canonicalPayloadMaxBytes) throw mismatch();
  let payload: Buffer;
  try {
    payload = canonicalPayload(raw, spec.channel);
  } catch {
    throw mismatch();
  }
  formsTried.push('canonical');
  const onCanonical = keyFor(payload);
  if (!onCanonical) throw mismatch();
  return { form: 'canonical', key: onCanonical };
}

/** 13-digit milliseconds, or 10-digit seconds as older pages describe (spec §3.4). */
function epochMillis(ts: string): number | undefined {
  if (/^\d{13}$/.test(ts)) return Number(ts);
  if (/^\d{10}$/.test(ts)) return Number(ts) * 1000;
  return undefined;
}

/** Adds to what a refused call's audit record says about why (never a key, never a signature). */
function diagnose(audit: AuditRecord, facts: Record<string, unknown>): void {
  audit.detail = { ...audit.detail, ...facts };
}

/**
 * Fingerprints of every configured access key, by interface type and role: a key entered for the
 * wrong interface type in the seller centre's 生产地址管理 shows as the other type's fingerprint.
 */
function keyFingerprints(rt: Runtime): Record<string, string> {
  const keys: Record<string, string | undefined> = {
    'kit/current': rt.config.kitAccessKey,
    'kit/previous': rt.config.kitAccessKeyPrevious,
    'basic/current': rt.config.basicAccessKey,
    'basic/previous': rt.config.basicAccessKeyPrevious,
  };
  return Object.fromEntries(Object.entries(keys).flatMap(([label, key]) => (key ? [[label, keyFingerprint(key)]] : [])));
}
