import type { Context } from 'koa';
import type { Runtime } from '../runtime.js';
import { logoutToken } from '../sso/logout.js';
import type { SsoRefusal } from '../sso/refusal.js';
import { sessionEnding, type SessionEndCause, type SessionEnding, type SessionRecord } from '../sso/sessions.js';
import type { Identity, SwitchOffer } from '../sso/switch.js';
import { enterpriseName } from '../sso/syncedApps.js';
import { accountPage, applicationHome, switchUrl } from '../sso/urls.js';
import { REFUSAL_WORDING, SESSION_END_WORDING } from '../sso/wording.js';
import { pageLanguage, renderPage } from './views.js';
import type { NoSession } from '../sso/viewSchemas.js';

/**
 * The sign-in pages: what they show and the ways forward they offer. Each page takes the words
 * from sso/wording.ts and the values from the session; nothing a request carries is shown.
 */

/** Starts the login again for the same enterprise (and application, when known). */
function retryUrl(rt: Runtime, who: { tenantId?: string; instanceId?: string; appId?: string }): string | undefined {
  if (!who.tenantId && !who.instanceId) return undefined;
  const q = new URLSearchParams();
  if (who.tenantId) q.set('tenant', who.tenantId);
  if (who.instanceId) q.set('instanceId', who.instanceId);
  if (who.appId) q.set('appId', who.appId);
  return `${rt.config.publicUrl}/sso/login?${q}`;
}

const displayName = (userName: string, name: string | null) => (name && name !== userName ? `${name} (${userName})` : userName);

async function person(rt: Runtime, rec: SessionRecord) {
  return { name: displayName(rec.userName, rec.name), enterprise: await enterpriseName(rt.reads, rec) };
}

export function refusalPage(rt: Runtime, ctx: Context, refusal: SsoRefusal, reference: string): void {
  const wording = REFUSAL_WORDING[refusal.reason];
  const { actions } = wording;
  renderPage(
    ctx,
    'sso/refusal',
    {
      words: wording[pageLanguage(ctx)],
      actions,
      reference,
      retryUrl: actions.includes('retry') ? retryUrl(rt, refusal.subject) : undefined,
      appUrl: actions.includes('app') ? applicationHome(rt.config) : undefined,
    },
    refusal.status,
  );
}

/** The same refusal for a caller that asked for JSON: the technical reason, for the developer reading it. */
export const refusalJson = (refusal: SsoRefusal, reference: string) => ({ error: refusal.reason, message: refusal.message, reference });

const ENDED_BY_THE_ENTERPRISE = new Set<SessionEndCause>(['deauthorized', 'removed', 'frozen', 'released']);

/** Who is signed in, where to go next, and sign-out; or, without a session, why it ended. */
export async function accountPageFor(rt: Runtime, ctx: Context, sessionId: string | undefined, rec: SessionRecord | undefined, ending: SessionEnding | undefined) {
  const appUrl = applicationHome(rt.config);
  if (rec && sessionId) {
    renderPage(ctx, 'sso/account', { user: await person(rt, rec), appUrl, logoutAction: `${rt.config.publicUrl}/sso/logout`, logoutToken: logoutToken(sessionId) });
    return;
  }
  // Signing in again helps after a timeout or a sign-out; not while the enterprise has no access.
  const byTheEnterprise = ending !== undefined && ENDED_BY_THE_ENTERPRISE.has(ending.cause);
  renderPage(ctx, 'sso/account', {
    ended: ending && SESSION_END_WORDING[ending.cause][pageLanguage(ctx)],
    askAdmin: byTheEnterprise,
    retryUrl: ending && !byTheEnterprise ? retryUrl(rt, ending) : undefined,
    appUrl,
  });
}

/** GET /sso/logout: a confirmation whose form posts back to us with the session's token. */
export async function logoutPage(rt: Runtime, ctx: Context, sessionId: string, rec: SessionRecord) {
  renderPage(ctx, 'sso/logout', {
    user: await person(rt, rec),
    logoutAction: `${rt.config.publicUrl}/sso/logout`,
    logoutToken: logoutToken(sessionId),
    cancelUrl: applicationHome(rt.config) ?? accountPage(rt.config),
  });
}

/**
 * After our sign-out form: on to the IdP's logout. Browsers apply our pages' form-action policy to
 * a form answer's redirects too, and the IdP is on another origin, so the page moves on itself.
 */
export function signingOutPage(ctx: Context, next: string) {
  renderPage(ctx, 'sso/signingOut', { next });
}

export function signedOutPage(rt: Runtime, ctx: Context) {
  renderPage(ctx, 'sso/signedOut', { appUrl: applicationHome(rt.config) });
}

/** Asks the browser whether the marketplace login it just came back with replaces its current session. */
export async function switchPage(rt: Runtime, ctx: Context, offer: SwitchOffer) {
  const who = async (u: Identity) => {
    const enterprise = await enterpriseName(rt.reads, u);
    return `${displayName(u.userName, u.name)}${enterprise ? ` · ${enterprise}` : ''}`;
  };
  renderPage(ctx, 'sso/switch', { current: await who(offer.current), next: await who(offer.next), token: offer.token, action: switchUrl(rt.config) });
}

/** The same question for a caller that asked for JSON (answered by POST /sso/switch with the token). */
export function switchJson(offer: SwitchOffer) {
  return {
    error: 'session_switch_required',
    message: `this browser is signed in as ${offer.current.userName}; POST /sso/switch with token and action=continue or action=cancel`,
    current: offer.current,
    next: offer.next,
    token: offer.token,
  };
}

/** What GET /sso/session and introspection say about a session that is gone. */
export async function endedSessionJson(rt: Runtime, idHash: string | undefined): Promise<NoSession> {
  const ending = idHash ? await sessionEnding(rt.reads, idHash) : undefined;
  if (!ending) return { error: 'no_session', message: 'not signed in: no session cookie, or the session ended' };
  return { error: 'session_ended', reason: ending.cause, endedAt: new Date(ending.endedAt).toISOString(), message: SESSION_END_WORDING[ending.cause].en };
}
