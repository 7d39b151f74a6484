import type { Runtime } from '../runtime.js';
import { auditLogin } from './audit.js';
import { ssoState } from './context.js';
import { SsoRefusal } from './refusal.js';
import { endSession, readSession, sha256 } from './sessions.js';
import { findSyncedApp } from './syncedApps.js';
import { logoutLanding } from './urls.js';

/**
 * The token the sign-out form carries: derived from the session id the cookie holds, so only a page
 * rendered for this browser's session can have it, and no table is needed to check it.
 */
export function logoutToken(sessionId: string): string {
  return sha256(`koobridge logout form\0${sessionId}`);
}

/**
 * POST /sso/logout (spec §6.3.5): ends our session, then sends the browser through the tenant's
 * IdP logout (`redirect_url` = the landing page) so the IdP's session ends too. Returns that URL;
 * without a session (or a usable IdP) straight to the landing page. `formToken`: what our sign-out
 * form carried, when the request came from one.
 */
export async function logOut(rt: Runtime, sessionId: string | undefined, formToken?: string): Promise<string> {
  const startedAt = Date.now();
  const landing = logoutLanding(rt.config);
  const rec = sessionId ? await readSession(rt.db, sha256(sessionId)) : undefined;
  if (!rec) return landing;
  // Our sign-out pages post a token only a page rendered for this session can hold.
  if (formToken !== undefined && formToken !== logoutToken(sessionId!)) {
    throw new SsoRefusal('logout_invalid', 'the sign-out form was not rendered for this session (stale page or a forged form); nothing was changed');
  }
  if (await endSession(rt.db, rec.idHash, 'logged_out')) ssoState(rt).sessionEnds.ended('logout');
  await auditLogin(rt.db, 'logout', rec, startedAt);
  const app = await findSyncedApp(rt.db, rec);
  if (!app) return landing;
  try {
    const logout = new URL(ssoState(rt).clients.configFor(app).serverMetadata().end_session_endpoint!);
    logout.searchParams.set('redirect_url', landing);
    return logout.href;
  } catch (err) {
    if (err instanceof SsoRefusal) return landing;
    throw err;
  }
}
