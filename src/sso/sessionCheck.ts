import { setTimeout as sleep } from 'node:timers/promises';
import type { Runtime } from '../runtime.js';
import { ssoState } from './context.js';
import { renewalLeaseMs, renewSession } from './renewal.js';
import { endSession, readSession, sessionEnd, sha256, touchSession, type SessionRecord } from './sessions.js';

/**
 * The live session for a cookie value (or an id a backend passes on), renewed first when its access
 * token lapses within the margin; undefined when there is none, it timed out, or the IdP ended it.
 */
export async function currentSession(rt: Runtime, sessionId: string): Promise<SessionRecord | undefined> {
  const rec = await ssoState(rt).sessions.load(sha256(sessionId));
  if (!rec) return undefined;
  if (sessionEnd(rec, rt.config) <= Date.now()) {
    if (await endSession(rt.db, rec.idHash, 'expired')) rt.sessionEnds.ended(rec.expiresAt <= Date.now() ? 'absolute' : 'idle');
    return undefined;
  }
  const live = rec.accessExpiresAt - Date.now() <= rt.config.ssoRenewMarginSeconds * 1000 ? await afterRenewal(rt, rec) : rec;
  if (live) await touchSession(rt.db, live, Date.now());
  return live;
}

async function afterRenewal(rt: Runtime, rec: SessionRecord): Promise<SessionRecord | undefined> {
  const outcome = await renewSession(rt, rec.idHash);
  if (outcome === 'ended') return undefined;
  let current = await readSession(rt.db, rec.idHash);
  if (outcome !== 'busy') return current;
  // Another process holds the renewal. While the access token is still valid the session is fine as
  // it is; once it has lapsed, wait for that renewal's outcome (it may end the session).
  const deadline = Date.now() + renewalLeaseMs(rt);
  while (current && current.accessExpiresAt <= Date.now() && (current.renewLeaseUntil ?? 0) > Date.now() && Date.now() < deadline) {
    await sleep(25);
    current = await readSession(rt.db, rec.idHash);
  }
  return current;
}
