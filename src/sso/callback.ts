import { authorizationCodeGrant, type Configuration } from 'openid-client';
import type { Runtime } from '../runtime.js';
import { assertInstanceActive } from './access.js';
import { chooseApp } from './appChoice.js';
import { ssoState } from './context.js';
import { classifyIdpError } from './idpErrors.js';
import { consumeLoginState, type PendingLogin } from './loginStates.js';
import { SsoRefusal, type RefusalReason } from './refusal.js';
import { sha256, type IssuedTokens, type SessionRecord } from './sessions.js';
import { signIn, type Candidate } from './signIn.js';
import { offerSwitch, otherUsersSession, type SwitchOffer } from './switch.js';
import { appKeyOf, findSyncedApp, type SyncedApp } from './syncedApps.js';
import { fetchUserinfo } from './userinfo.js';
import { callbackUrl, resolveReturnTo } from './urls.js';

export interface CallbackParams {
  code?: string;
  /** tenantId, sent by the marketplace's unified login page (spec §6.2 step 2). */
  tenant?: string;
  /** Present when the login started at /sso/login. */
  state?: string;
  iss?: string;
  error?: string;
  error_description?: string;
}

/** The cookies of the browser the callback reached. */
export interface BrowserCookies {
  sessionId?: string;
  /** The login cookie set by /sso/login (see loginBinding.ts). */
  binding?: string;
}

export interface Login {
  sessionId: string;
  record: SessionRecord;
  returnTo: string;
}

/** Signed in, or (a marketplace login into another user's session) waiting for the browser to confirm. */
export type CallbackOutcome = { login: Login } | { offer: SwitchOffer };

/**
 * GET /sso/callback (spec §6.2 steps 3-5): find the tenant's synced app, exchange the code with its
 * credentials, read userinfo, check the user may log in, store the session. Marketplace-initiated
 * logins carry code + tenant and no state; app-initiated ones carry the state we issued to this browser.
 */
export async function completeLogin(rt: Runtime, params: CallbackParams, browser: BrowserCookies): Promise<CallbackOutcome> {
  const startedAt = Date.now();
  const pending = await pendingLogin(rt, params, browser.binding);
  const tenantId = pending?.tenantId ?? params.tenant;
  if (!tenantId) throw new SsoRefusal('invalid_request', 'tenant: missing; the callback needs ?code=…&tenant=… (or the state of a login started at /sso/login)');
  if (params.error) {
    // Anyone can send a browser here with any error text, so the page shows only fixed words chosen
    // by the error code; what was sent is kept for the log and the audit record.
    const description = params.error_description ? ` (${JSON.stringify(params.error_description.slice(0, 200))})` : '';
    throw new SsoRefusal(idpErrorReason(params.error), `the identity provider answered ${JSON.stringify(params.error.slice(0, 64))}${description}`, { tenantId });
  }
  if (!params.code) throw new SsoRefusal('invalid_request', 'code: missing; the identity provider sends ?code=… back to this address', { tenantId });

  const app = pending ? await pendingApp(rt, pending) : await chooseApp(rt, { tenantId });
  await assertInstanceActive(rt.db, app);
  const config = ssoState(rt).clients.configFor(app);
  const tokens = await exchangeCode(rt, config, app, params, callbackUrl(rt.config), pending);
  const info = await fetchUserinfo(config, tokens.access_token).catch((err) => {
    throw err instanceof SsoRefusal ? err.about(app) : err;
  });
  // Without `tenant` the answer still came from this tenant's IdP for this tenant's client.
  if (info.tenant !== undefined && info.tenant !== app.tenantId) {
    throw new SsoRefusal('tenant_mismatch', `the identity provider signed in ${info.userName} of tenant ${info.tenant}, but this login is for tenant ${app.tenantId}`, {
      ...app,
      userName: info.userName,
    });
  }

  const candidate: Candidate = { app: appKeyOf(app), userName: info.userName, name: info.name, orgCode: info.organizationCode, tokens };
  const returnTo = pending?.returnTo ?? resolveReturnTo(rt.config);
  // An app-initiated login was started by this very browser (its binding says so); a state-less one may not have been.
  const current = pending ? undefined : await otherUsersSession(rt, browser.sessionId, candidate);
  if (current) return { offer: await offerSwitch(rt, current, candidate, returnTo) };
  const { id, record } = await signIn(rt, candidate, startedAt, browser.sessionId && sha256(browser.sessionId));
  return { login: { sessionId: id, record, returnTo } };
}

/** OAuth 2.0 and OpenID Connect error codes of an authorization response, by what the person can do. */
function idpErrorReason(code: string): RefusalReason {
  if (code === 'access_denied' || code === 'unauthorized_client') return 'idp_access_denied';
  if (['login_required', 'interaction_required', 'consent_required', 'account_selection_required'].includes(code)) return 'idp_login_required';
  if (code === 'temporarily_unavailable' || code === 'server_error') return 'idp_unavailable';
  return 'idp_error';
}

async function pendingLogin(rt: Runtime, params: CallbackParams, binding: string | undefined): Promise<PendingLogin | undefined> {
  if (params.state === undefined) return undefined;
  const pending = await consumeLoginState(rt, params.state);
  if (!pending) {
    throw new SsoRefusal('invalid_state', 'state: unknown, expired or already used; start the login again', { tenantId: params.tenant });
  }
  // Spent all the same: a login link that reached another browser (sent by someone, say) works nowhere.
  if (binding === undefined || pending.bindingHash !== sha256(binding)) {
    throw new SsoRefusal(
      'state_other_browser',
      'this login was started in another browser, or this browser has since lost its cookies; nobody was signed in. Start the login again from the application in this browser.',
      appKeyOf(pending),
    );
  }
  if (params.tenant !== undefined && params.tenant !== pending.tenantId) {
    throw new SsoRefusal('tenant_mismatch', `tenant ${params.tenant} in the callback differs from tenant ${pending.tenantId} the login started for`, pending);
  }
  return pending;
}

async function pendingApp(rt: Runtime, pending: PendingLogin): Promise<SyncedApp> {
  const app = await findSyncedApp(rt.db, pending);
  if (!app) throw new SsoRefusal('app_not_synced', `app ${pending.appId} of tenant ${pending.tenantId} is no longer in the directory`, pending);
  return app;
}

async function exchangeCode(
  rt: Runtime,
  config: Configuration,
  app: SyncedApp,
  params: CallbackParams,
  redirectUri: string,
  pending: PendingLogin | undefined,
): Promise<IssuedTokens> {
  // Only the authorization response's own parameters; redirect_uri is our registered callback.
  const response = new URL(redirectUri);
  for (const name of ['code', 'state', 'iss'] as const) if (params[name] !== undefined) response.searchParams.set(name, params[name]!);
  try {
    return await authorizationCodeGrant(config, response, { expectedState: params.state, pkceCodeVerifier: pending?.codeVerifier });
  } catch (err) {
    const failure = classifyIdpError(err, rt.config.ssoHttpTimeoutSeconds);
    const at = `token endpoint at ${new URL(config.serverMetadata().token_endpoint!).origin}`;
    if (failure.kind === 'invalid_grant' || failure.kind === 'refused') {
      throw new SsoRefusal('code_rejected', `the ${at} refused the authorization code: ${failure.message}; codes are single-use and short-lived, start the login again`, app);
    }
    if (failure.kind === 'unavailable') throw new SsoRefusal('idp_unavailable', `the ${at}: ${failure.message}; no session was created, try again`, app);
    throw new SsoRefusal('idp_bad_response', `the ${at}: ${failure.message}`, app);
  }
}
