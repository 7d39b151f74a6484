import type { Runtime } from '../runtime.js';
import { inTransaction, type Db, type Trx } from '../store/db.js';
import type { SessionSwitchRow } from '../store/rows.js';
import { SecretUnreadable } from '../store/secretBox.js';
import { randomSecret, sha256 } from './sessions.js';
import type { Candidate } from './signIn.js';

/**
 * Marketplace logins waiting for the browser to confirm that they replace another user's session:
 * single use, short-lived (SSO_LOGIN_STATE_TTL_SECONDS), bound to the session they would replace.
 * The token is stored as SHA-256 only, the tokens sealed to the row.
 */

export interface PendingSwitch extends Candidate {
  /** Id hash of the session it replaces. */
  sessionHash: string;
  returnTo: string;
}

/** The additional data a pending switch's token is sealed to: its own row and column. */
export const switchSealContext = (tokenHash: string, which: 'access' | 'refresh') => `ssoSwitch:${tokenHash}:${which}`;

/** Stores the checked candidate; returns the token for the confirmation form (the only place it exists in clear). */
export async function createSwitch(trx: Trx, rt: Runtime, s: PendingSwitch): Promise<string> {
  const token = randomSecret();
  const tokenHash = sha256(token);
  const now = Date.now();
  await trx('sso_session_switches').insert({
    token_hash: tokenHash,
    session_hash: s.sessionHash,
    instance_id: s.app.instanceId,
    tenant_id: s.app.tenantId,
    app_id: s.app.appId,
    user_name: s.userName,
    name: s.name?.slice(0, 64) ?? null,
    org_code: s.orgCode?.slice(0, 64) ?? null,
    access_token: rt.box.seal(s.tokens.access_token, switchSealContext(tokenHash, 'access')),
    refresh_token: s.tokens.refresh_token ? rt.box.seal(s.tokens.refresh_token, switchSealContext(tokenHash, 'refresh')) : null,
    expires_in: s.tokens.expires_in ?? null,
    issued_at: now,
    return_to: s.returnTo,
    expires_at: now + rt.config.ssoLoginStateTtlSeconds * 1000,
  });
  return token;
}

/**
 * Takes the pending switch for a token, if it is bound to the session this browser holds and has
 * not expired. Spent whatever the outcome, so a token that reached another browser is no use twice.
 */
export async function consumeSwitch(rt: Runtime, token: string, sessionHash: string | undefined): Promise<PendingSwitch | undefined> {
  const tokenHash = sha256(token);
  return inTransaction(rt.db, async (trx) => {
    const row: SessionSwitchRow | undefined = await trx('sso_session_switches').where('token_hash', tokenHash).forUpdate().first();
    if (!row) return undefined;
    await trx('sso_session_switches').where('token_hash', tokenHash).delete();
    if (Number(row.expires_at) <= Date.now() || row.session_hash !== sessionHash) return undefined;
    try {
      return pendingSwitch(rt, row, tokenHash);
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      // Told like an expired confirmation: nothing changes, and signing in again works.
      rt.log.warn({ tenantId: row.tenant_id, detail: err.message }, 'sso account switch unreadable (its tokens); nothing was switched');
      return undefined;
    }
  });
}

function pendingSwitch(rt: Runtime, row: SessionSwitchRow, tokenHash: string): PendingSwitch {
  return {
    sessionHash: row.session_hash,
    app: { instanceId: row.instance_id, tenantId: row.tenant_id, appId: row.app_id },
    userName: row.user_name,
    name: row.name,
    orgCode: row.org_code,
    tokens: {
      access_token: rt.box.open(row.access_token, switchSealContext(tokenHash, 'access')),
      ...(row.refresh_token ? { refresh_token: rt.box.open(row.refresh_token, switchSealContext(tokenHash, 'refresh')) } : {}),
      ...(row.expires_in != null ? { expires_in: Number(row.expires_in) } : {}),
    },
    tokensIssuedAt: Number(row.issued_at),
    returnTo: row.return_to,
  };
}

export async function purgeExpiredSwitches(db: Db, now: number): Promise<number> {
  return db('sso_session_switches').where('expires_at', '<=', now).delete();
}
