import type { Runtime } from '../runtime.js';
import { inTransaction } from '../store/db.js';
import { SsoRefusal } from './refusal.js';
import { consumeSwitch, createSwitch } from './sessionSwitches.js';
import { readSession, sessionEnd, sha256, type SessionRecord } from './sessions.js';
import { checkedCandidate, signIn, type Candidate } from './signIn.js';
import type { AppKey } from './syncedApps.js';

/**
 * A marketplace login carries no state (spec §6.2), so it cannot tell the user's own click from a
 * page that sent the browser there with someone else's code. It therefore never replaces another
 * user's live session silently: the browser is asked first, and the login waits for the answer.
 */

/** Who a session or a pending login is for, as the confirmation shows it. */
export interface Identity {
  userName: string;
  name: string | null;
  tenantId: string;
  instanceId: string;
  appId: string;
}

export interface SwitchOffer {
  token: string;
  current: Identity;
  next: Identity;
}

const identity = (app: AppKey, userName: string, name?: string | null): Identity => ({
  userName,
  name: name ?? null,
  tenantId: app.tenantId,
  instanceId: app.instanceId,
  appId: app.appId,
});

/** The live session this browser holds for someone other than the candidate, if any. */
export async function otherUsersSession(rt: Runtime, sessionId: string | undefined, c: Candidate): Promise<SessionRecord | undefined> {
  const rec = sessionId ? await readSession(rt.db, sha256(sessionId)) : undefined;
  if (!rec || sessionEnd(rec, rt.config) <= Date.now()) return undefined;
  const same = rec.instanceId === c.app.instanceId && rec.tenantId === c.app.tenantId && rec.appId === c.app.appId && rec.userName === c.userName;
  return same ? undefined : rec;
}

/** Keeps the candidate (checked now, and again on confirmation) pending until the browser answers. */
export async function offerSwitch(rt: Runtime, current: SessionRecord, c: Candidate, returnTo: string): Promise<SwitchOffer> {
  const { token, next } = await inTransaction(rt.db, async (trx) => {
    const checked = await checkedCandidate(trx, c);
    return { token: await createSwitch(trx, rt, { ...checked, sessionHash: current.idHash, returnTo }), next: checked };
  });
  return { token, current: identity(current, current.userName, current.name), next: identity(next.app, next.userName, next.name) };
}

/** POST /sso/switch: continue signs the pending user in, in place of the session; cancel keeps the session. */
export async function answerSwitch(
  rt: Runtime,
  token: string,
  action: 'continue' | 'cancel',
  sessionId: string | undefined,
): Promise<{ returnTo: string; login?: { id: string; record: SessionRecord } }> {
  const startedAt = Date.now();
  const pending = await consumeSwitch(rt, token, sessionId ? sha256(sessionId) : undefined);
  if (!pending) {
    throw new SsoRefusal(
      'switch_invalid',
      'this account-switch confirmation is unknown, has expired, was already answered, or belongs to another session of this browser; nothing was changed. Sign in again from the marketplace if you meant to switch.',
    );
  }
  if (action === 'cancel') return { returnTo: pending.returnTo };
  return { returnTo: pending.returnTo, login: await signIn(rt, pending, startedAt, pending.sessionHash) };
}
