import { setTimeout as sleep } from 'node:timers/promises';
import type { Runtime } from '../runtime.js';
import { ssoState } from './context.js';
import { describe } from '../log.js';
import { IdpCircuits } from './idpCircuits.js';
import { renewSession } from './renewal.js';
import { endSession, readSession, sessionEnd, sha256, touchSession, type SessionRecord } from './sessions.js';

/** A session check waits at most this long for a renewal; the renewal itself goes on. */
const RENEWAL_WAIT_MS = 2_000;
const LATE = Symbol('late');

/**
 * The live session for a cookie value (or an id a backend passes on), renewed first when its access
 * token lapses within the margin; undefined when there is none, it timed out, or the IdP ended it.
 * A renewal that cannot finish soon (the IdP is slow, or failed lately) does not hold the check up:
 * the session is answered as it is, marked `renewalPending` once its access token has lapsed.
 */
export async function currentSession(rt: Runtime, sessionId: string): Promise<SessionRecord | undefined> {
  const rec = await ssoState(rt).sessions.load(sha256(sessionId));
  if (!rec) return undefined;
  if (sessionEnd(rec, rt.config) <= Date.now()) {
    if (await endSession(rt.db, rec.idHash, 'expired')) ssoState(rt).sessionEnds.ended(rec.expiresAt <= Date.now() ? 'absolute' : 'idle');
    return undefined;
  }
  const live = rec.accessExpiresAt - Date.now() <= rt.config.ssoRenewMarginSeconds * 1000 ? await renewedSoon(rt, rec) : rec;
  if (live) await touchSession(rt.db, live, Date.now());
  return live;
}

const asItIs = (rec: SessionRecord): SessionRecord => (rec.accessExpiresAt <= Date.now() ? { ...rec, renewalPending: true } : rec);

async function renewedSoon(rt: Runtime, rec: SessionRecord): Promise<SessionRecord | undefined> {
  if (ssoState(rt).circuits.pausedFor(IdpCircuits.key(rec)) > 0) return asItIs(rec);
  const wait = Math.min(RENEWAL_WAIT_MS, rt.config.ssoHttpTimeoutSeconds * 1000);
  const renewal = afterRenewal(rt, rec, Date.now() + wait);
  const outcome = await Promise.race([renewal, sleep(wait, LATE, { ref: false })]);
  if (outcome !== LATE) return outcome && asItIs(outcome);
  renewal.catch((err) => rt.log.error({ err: describe(err) }, 'sso renewal failed'));
  return asItIs(rec);
}

async function afterRenewal(rt: Runtime, rec: SessionRecord, deadline: number): Promise<SessionRecord | undefined> {
  const outcome = await renewSession(rt, rec.idHash);
  if (outcome === 'ended') return undefined;
  let current = await readSession(rt.db, rec.idHash);
  if (outcome !== 'busy') return current;
  // Another process holds the renewal. While the access token is still valid the session is fine as
  // it is; once it has lapsed, wait (a little) for that renewal's outcome (it may end the session).
  while (current && current.accessExpiresAt <= Date.now() && (current.renewLeaseUntil ?? 0) > Date.now() && Date.now() < deadline) {
    await sleep(25);
    current = await readSession(rt.db, rec.idHash);
  }
  return current;
}
