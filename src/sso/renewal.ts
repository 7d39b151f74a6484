import { randomBytes } from 'node:crypto';
import { refreshTokenGrant } from 'openid-client';
import type { Runtime } from '../runtime.js';
import { describe } from '../http/signedCall.js';
import { ssoState, type RenewOutcome } from './context.js';
import { classifyIdpError, type IdpFailure } from './idpErrors.js';
import { SsoRefusal } from './refusal.js';
import { openRefreshToken, tokenColumns } from './sessions.js';
import { findSyncedApp } from './syncedApps.js';

/** How long one renewal may hold a session: well beyond one IdP call, so a lease never lapses mid-refresh. */
export const renewalLeaseMs = (rt: Runtime) => Math.max(30_000, rt.config.ssoHttpTimeoutSeconds * 3_000);

/**
 * Renews a session whose access token lapses within the margin (spec §6.4), at most once at a time:
 * in this process callers share one promise; across processes the row's lease decides who spends
 * the refresh token (a rotating token spent twice makes the IdP revoke the whole grant).
 * 'busy': someone else renews it (or already did); 'kept': the IdP could not be asked, retry later.
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
  const { db, config } = rt;
  const now = Date.now();
  const owner = randomBytes(12).toString('hex');
  const leased = await db('sso_sessions')
    .where('id_hash', idHash)
    .andWhere('access_expires_at', '<=', now + config.ssoRenewMarginSeconds * 1000)
    .andWhere((q) => q.whereNull('renew_lease_until').orWhere('renew_lease_until', '<', now))
    .update({ renew_owner: owner, renew_lease_until: now + renewalLeaseMs(rt) });
  if (leased === 0) return 'busy';

  const mine = () => db('sso_sessions').where({ id_hash: idHash, renew_owner: owner });
  const row = await mine().first('instance_id', 'tenant_id', 'app_id', 'user_name', 'refresh_token', 'refresh_expires_at');
  if (!row) return 'ended';
  const app = await findSyncedApp(db, { instanceId: row.instance_id, tenantId: row.tenant_id, appId: row.app_id });
  if (!row.refresh_token || Number(row.refresh_expires_at) <= now || !app) {
    await mine().delete();
    return 'ended';
  }

  let tokens;
  try {
    tokens = await refreshTokenGrant(ssoState(rt).clients.configFor(app), openRefreshToken(rt.box, idHash, row.refresh_token));
  } catch (err) {
    const failure: IdpFailure = err instanceof SsoRefusal ? { kind: 'refused', message: err.message } : classifyIdpError(err, config.ssoHttpTimeoutSeconds);
    const about = { tenantId: row.tenant_id, appId: row.app_id, userName: row.user_name, failure: failure.message };
    if (failure.kind === 'invalid_grant') {
      rt.log.info(about, 'sso session ended: the IdP refused its refresh token');
      await mine().delete();
      return 'ended';
    }
    rt.log.warn(about, 'sso renewal failed; the session is kept and renewed later');
    await mine().update({ renew_owner: null, renew_lease_until: null, renew_failures: db.raw('renew_failures + 1') });
    return 'kept';
  }
  try {
    // The new refresh token is stored before anyone uses the new access token: lost, it would strand the session.
    const stored = await mine().update({
      ...tokenColumns(rt.box, idHash, tokens, Date.now()),
      version: db.raw('version + 1'),
      renew_owner: null,
      renew_lease_until: null,
      renew_failures: 0,
    });
    return stored ? 'renewed' : 'busy';
  } catch (err) {
    rt.log.error({ err: describe(err), tenantId: row.tenant_id, userName: row.user_name }, 'sso renewal could not store the new tokens');
    return 'kept';
  }
}
