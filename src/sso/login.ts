import { buildAuthorizationUrl } from 'openid-client';
import type { Runtime } from '../runtime.js';
import { assertInstanceActive } from './access.js';
import { chooseApp } from './appChoice.js';
import { ssoState } from './context.js';
import { createLoginState } from './loginStates.js';
import { SsoRefusal } from './refusal.js';
import { callbackUrl, resolveReturnTo } from './urls.js';

export interface LoginRequest {
  tenant?: string;
  instanceId?: string;
  appId?: string;
  returnTo?: string;
}

/**
 * GET /sso/login (spec §6.3.1): the app-initiated login. Picks the tenant's app, remembers where to
 * return (the application's origin only) under a single-use state bound to this browser, and sends
 * the browser to the tenant's authorize endpoint.
 */
export async function startLogin(rt: Runtime, req: LoginRequest, bindingHash: string): Promise<URL> {
  if (req.tenant === undefined && req.instanceId === undefined) {
    throw new SsoRefusal('invalid_request', 'tenant: missing; use /sso/login?tenant=<tenantId> (or ?instanceId=…)');
  }
  const returnTo = resolveReturnTo(rt.config, req.returnTo);
  const app = await chooseApp(rt, { tenantId: req.tenant, instanceId: req.instanceId, appId: req.appId });
  await assertInstanceActive(rt.db, app);
  const config = ssoState(rt).clients.configFor(app);
  const { state, codeChallenge } = await createLoginState(rt, app, returnTo, bindingHash);
  return buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(rt.config),
    scope: rt.config.ssoScope,
    state,
    ...(codeChallenge ? { code_challenge: codeChallenge, code_challenge_method: 'S256' } : {}),
  });
}
