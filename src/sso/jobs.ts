import type { Runtime } from '../runtime.js';
import { describe } from '../log.js';
import { ssoState, type RenewOutcome } from './context.js';
import { IdpCircuits } from './idpCircuits.js';
import { purgeExpiredLoginStates } from './loginStates.js';
import { renewSession } from './renewal.js';
import { purgeExpiredSwitches } from './sessionSwitches.js';
import { purgeEndedSessions, sessionsDueForRenewal } from './sessions.js';

/** One run renews at most this many sessions; the rest are due again on the next run. */
const MAX_PER_RUN = 100_000;

/**
 * Renews the sessions used in the last SSO_RENEW_ACTIVE_MINUTES whose access tokens lapse within
 * the margin, SSO_RENEW_CONCURRENCY at a time, so active users rarely wait for a renewal. Sessions
 * nobody uses are left to lapse; their next use renews them if the refresh token still can.
 */
export async function renewDueSessions(rt: Runtime): Promise<Record<RenewOutcome | 'due' | 'failed' | 'paused', number>> {
  const { config } = rt;
  const now = Date.now();
  const { circuits } = ssoState(rt);
  const rows = await sessionsDueForRenewal(rt.db, {
    dueBefore: now + config.ssoRenewMarginSeconds * 1000,
    activeSince: now - config.ssoRenewActiveMinutes * 60_000,
    now,
    limit: MAX_PER_RUN,
  });
  // A tenant whose IdP failed lately is left alone until its pause is over.
  const paused = rows.filter((r) => circuits.pausedFor(IdpCircuits.key(r)) > 0);
  const dueInDb = rows.filter((r) => !paused.includes(r)).map((r) => r.idHash);
  // Tokens a failed write left in memory are stored as soon as the database takes them, used lately or not.
  const due = [...new Set([...ssoState(rt).unstoredTokens.keys(), ...dueInDb])];
  const counts = { due: due.length, renewed: 0, ended: 0, kept: 0, busy: 0, failed: 0, paused: paused.length };
  let next = 0;
  const worker = async () => {
    // A shutdown lets the renewals under way finish and starts no more; the next run (any replica) takes the rest.
    while (next < due.length && !rt.stopping.signal.aborted) {
      const idHash = due[next++]!;
      try {
        counts[await renewSession(rt, idHash)]++;
      } catch (err) {
        counts.failed++;
        rt.log.error({ err: describe(err) }, 'sso renewal failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.ssoRenewConcurrency, due.length) }, worker));
  return counts;
}

/** Ended sessions, and login states and account switches nobody completed. */
export async function purgeSsoRows(rt: Runtime): Promise<Record<'sessions' | 'loginStates' | 'sessionSwitches', number>> {
  const now = Date.now();
  return {
    sessions: await purgeEndedSessions(rt.db, rt.config, now),
    loginStates: await purgeExpiredLoginStates(rt.db, now),
    sessionSwitches: await purgeExpiredSwitches(rt.db, now),
  };
}
