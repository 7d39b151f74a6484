import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import type { Runtime } from '../runtime.js';
import type { Db } from '../store/db.js';
import type { LoginStateRow } from '../store/rows.js';
import { inTransaction } from '../store/db.js';
import { SecretUnreadable } from '../store/secretBox.js';
import { randomSecret, sha256 } from './sessions.js';
import type { AppKey } from './syncedApps.js';

/**
 * Pending app-initiated logins (spec §6.3.1 `state`): single use, short-lived, stored server-side
 * (hashed) so any replica can finish the login; with PKCE the verifier is kept sealed beside it.
 */

export interface PendingLogin extends AppKey {
  returnTo: string;
  codeVerifier?: string;
  /** SHA-256 of the login cookie of the browser that started it (null: issued before the binding existed). */
  bindingHash: string | null;
}

/**
 * Live pending logins per tenant. /sso/login needs no credential, so beyond this the tenant's oldest
 * are dropped: storage stays bounded whatever the rate of calls, and the newest logins, the ones
 * people are waiting on, keep working.
 */
export const MAX_PENDING_PER_TENANT = 1000;

/** The additional data a login state's PKCE verifier is sealed to: its own row. */
export const verifierContext = (stateHash: string) => `ssoLoginState:${stateHash}`;

export async function createLoginState(rt: Runtime, app: AppKey, returnTo: string, bindingHash: string): Promise<{ state: string; codeChallenge?: string }> {
  const state = randomSecret();
  const stateHash = sha256(state);
  const codeVerifier = rt.config.ssoPkce ? randomPKCECodeVerifier() : undefined;
  const now = Date.now();
  await purgeExpiredLoginStates(rt.db, now);
  await rt.db('sso_login_states').insert({
    state_hash: stateHash,
    instance_id: app.instanceId,
    tenant_id: app.tenantId,
    app_id: app.appId,
    code_verifier: codeVerifier ? rt.box.seal(codeVerifier, verifierContext(stateHash)) : null,
    return_to: returnTo,
    binding_hash: bindingHash,
    expires_at: now + rt.config.ssoLoginStateTtlSeconds * 1000,
  });
  await dropOldestBeyondCap(rt.db, app.tenantId);
  return { state, codeChallenge: codeVerifier ? await calculatePKCECodeChallenge(codeVerifier) : undefined };
}

/** Two statements, as MySQL cannot delete from a table it selects from in the same statement. */
async function dropOldestBeyondCap(db: Db, tenantId: string): Promise<void> {
  const excess: string[] = await db('sso_login_states')
    .where('tenant_id', tenantId)
    .orderBy('expires_at', 'desc')
    .offset(MAX_PENDING_PER_TENANT)
    .limit(MAX_PENDING_PER_TENANT)
    .pluck('state_hash');
  if (excess.length) await db('sso_login_states').whereIn('state_hash', excess).delete();
}

/** Takes the pending login for a state; only the first caller gets it, and only before it expires. */
export async function consumeLoginState(rt: Runtime, state: string): Promise<PendingLogin | undefined> {
  const stateHash = sha256(state);
  return inTransaction(rt.db, async (trx) => {
    const row: LoginStateRow | undefined = await trx('sso_login_states').where('state_hash', stateHash).forUpdate().first();
    if (!row) return undefined;
    await trx('sso_login_states').where('state_hash', stateHash).delete();
    if (Number(row.expires_at) <= Date.now()) return undefined;
    let codeVerifier: string | undefined;
    try {
      codeVerifier = row.code_verifier ? rt.box.open(row.code_verifier, verifierContext(stateHash)) : undefined;
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      // Told like an expired state: the browser starts a new login, sealed with the current key.
      rt.log.warn({ tenantId: row.tenant_id, detail: err.message }, 'sso login state unreadable (its PKCE verifier); the login must start again');
      return undefined;
    }
    return {
      instanceId: row.instance_id,
      tenantId: row.tenant_id,
      appId: row.app_id,
      returnTo: row.return_to,
      codeVerifier,
      bindingHash: row.binding_hash ?? null,
    };
  });
}

/** Whether a browser (by its binding) still has a login under way, so its login cookie must stay. */
export async function hasPendingLogins(db: Db, bindingHash: string, now: number): Promise<boolean> {
  return (await db('sso_login_states').where('binding_hash', bindingHash).andWhere('expires_at', '>', now).first('state_hash')) !== undefined;
}

export async function purgeExpiredLoginStates(db: Db, now: number): Promise<number> {
  return db('sso_login_states').where('expires_at', '<=', now).delete();
}
