import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { refreshTokenGrant } from 'openid-client';
import type { Runtime } from '../runtime.js';
import { describe } from '../log.js';
import { ssoState, type RenewOutcome, type RenewedTokens } from './context.js';
import { classifyIdpError, type IdpFailure } from './idpErrors.js';
import { SsoRefusal } from './refusal.js';
import { endLeasedSession, openRefreshToken, releaseRenewalLease, storeRenewedTokens, takeRenewalLease } from './sessions.js';
import { findSyncedApp } from './syncedApps.js';
import { IdpCircuits } from './idpCircuits.js';
import { SecretUnreadable } from '../store/secretBox.js';

/** How long one renewal may hold a session: well beyond one IdP call, so a lease never lapses mid-refresh. */
export const renewalLeaseMs = (rt: Runtime) => Math.max(30_000, rt.config.ssoHttpTimeoutSeconds * 3_000);

/** Pauses before each new try to store renewed tokens: a brief database outage passes within them. */
const STORE_RETRY_DELAYS_MS = [100, 300, 1_000];

/**
 * Renews a session whose access token lapses within the margin (spec §6.4), at most once at a time:
 * in this process callers share one promise; across processes the row's lease decides who spends
 * the refresh token (a rotating token spent twice makes the IdP revoke the whole grant).
 * 'busy': someone else renews it (or already did); 'kept': the IdP could not be asked, or its
 * tokens not stored yet; retry later.
 */
export function renewSession(rt: Runtime, idHash: string): Promise<RenewOutcome> {
  const { renewals } = ssoState(rt);
  const running = renewals.get(idHash);
  if (running) return running;
  const renewal = renewOnce(rt, idHash).finally(() => renewals.delete(idHash));
  renewals.set(idHash, renewal);
  return renewal;
}

async function renewOnce(rt: Runtime, idHash: string): Promise<RenewOutcome> {
  // Tokens an earlier renewal could not store come first: the refresh token in the database is spent.
  const unstored = ssoState(rt).unstoredTokens.get(idHash);
  if (unstored) return storeRenewed(rt, idHash, unstored);

  const { db, config } = rt;
  const now = Date.now();
  const lease = { idHash, owner: randomBytes(12).toString('hex') };
  const session = await takeRenewalLease(db, lease, now + config.ssoRenewMarginSeconds * 1000, now + renewalLeaseMs(rt), now);
  if (!session) return 'busy';

  const about = { tenantId: session.tenantId, appId: session.appId, userName: session.userName };
  const app = await findSyncedApp(db, session);
  if (!session.refreshToken || (session.refreshExpiresAt ?? 0) <= now || !app) {
    await endLeasedSession(db, lease, app ? 'expired' : 'removed', now);
    ssoState(rt).sessionEnds.ended(app ? 'refresh_expired' : 'revoked');
    return 'ended';
  }

  let refreshToken: string;
  try {
    refreshToken = openRefreshToken(rt.box, idHash, session.refreshToken);
  } catch (err) {
    if (!(err instanceof SecretUnreadable)) throw err;
    // It can never be renewed: ended, and the user signs in again (sealed with the current key then).
    rt.log.warn({ ...about, detail: err.message }, 'sso session ended: its refresh token cannot be read');
    await endLeasedSession(db, lease, 'expired', now);
    ssoState(rt).sessionEnds.ended('refresh_expired');
    return 'ended';
  }

  const { circuits } = ssoState(rt);
  const circuit = IdpCircuits.key(app);
  let tokens;
  try {
    tokens = await refreshTokenGrant(ssoState(rt).clients.configFor(app), refreshToken);
    circuits.answered(circuit);
  } catch (err) {
    const failure: IdpFailure = err instanceof SsoRefusal ? { kind: 'refused', message: err.message } : classifyIdpError(err, config.ssoHttpTimeoutSeconds);
    if (failure.kind === 'unavailable') circuits.failed(circuit);
    else circuits.answered(circuit);
    if (failure.kind === 'invalid_grant') {
      rt.log.info({ ...about, failure: failure.message }, 'sso session ended: the IdP refused its refresh token');
      await endLeasedSession(db, lease, 'idp_refused', Date.now());
      // After a renewal that got no answer, the likely cause is that answer: the IdP rotated the token then.
      ssoState(rt).sessionEnds.ended(session.renewFailures > 0 ? 'refresh_lost' : 'refresh_rejected');
      return 'ended';
    }
    rt.log.warn({ ...about, failure: failure.message }, 'sso renewal failed; the session is kept and renewed later');
    await releaseRenewalLease(db, lease);
    return 'kept';
  }
  return storeRenewed(rt, idHash, { owner: lease.owner, tokens, issuedAt: Date.now(), about });
}

/**
 * Stores the tokens the IdP issued, which also ends the lease. The IdP has rotated the refresh token
 * already, so these are the session's only way on: a failed write is retried, and failing that they
 * wait in memory for the next renewal of this session in this process, which stores them instead of
 * spending the old token. The new refresh token is stored before anyone uses the new access token.
 */
async function storeRenewed(rt: Runtime, idHash: string, renewed: RenewedTokens): Promise<RenewOutcome> {
  const { unstoredTokens } = ssoState(rt);
  const failedBefore = unstoredTokens.has(idHash);
  for (let attempt = 1; ; attempt++) {
    try {
      // Only under the lease the tokens were renewed under: a process that took it over since spent the old token.
      const stored = await storeRenewedTokens(rt.db, rt.box, { idHash, owner: renewed.owner }, renewed.tokens, renewed.issuedAt);
      unstoredTokens.delete(idHash);
      if (!stored) {
        rt.log.info(renewed.about, 'sso renewal dropped its new tokens: the session ended meanwhile, or another process took its renewal over');
        return 'busy';
      }
      if (failedBefore || attempt > 1) rt.log.info({ ...renewed.about, attempt }, 'sso renewal stored the new tokens after failed writes');
      return 'renewed';
    } catch (err) {
      const pause = STORE_RETRY_DELAYS_MS[attempt - 1];
      if (pause === undefined) {
        unstoredTokens.set(idHash, renewed);
        rt.log.error({ ...renewed.about, err: describe(err), attempt }, 'sso renewal could not store the new tokens; kept in memory for the next renewal');
        return 'kept';
      }
      rt.log.warn({ ...renewed.about, err: describe(err), attempt }, 'sso renewal could not store the new tokens; retrying');
      await sleep(pause);
    }
  }
}
