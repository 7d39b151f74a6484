import type { Config } from '../config/index.js';
import { SsoRefusal } from './refusal.js';

/** The merchant application's origin: APP_ORIGIN, else PUBLIC_URL's; never the request's Host. */
export function appOrigin(config: Config): string {
  return config.appOrigin || new URL(config.publicUrl).origin;
}

/** Our registered callback; the token request repeats it as redirect_uri (spec §6.3.2). */
export function callbackUrl(config: Config): string {
  return `${config.publicUrl}/sso/callback`;
}

/** koobridge's own page saying who is signed in: where a login lands while the application's address is unknown. */
export function accountPage(config: Config): string {
  return `${config.publicUrl}/sso/account`;
}

/** koobridge's own page saying the browser signed out. */
export function signedOutPage(config: Config): string {
  return `${config.publicUrl}/sso/signed-out`;
}

/** The application's home, when its address is configured (APP_ORIGIN); else there is none to link to. */
export function applicationHome(config: Config): string | undefined {
  return config.appOrigin ? `${config.appOrigin}/` : undefined;
}

/**
 * Where the browser goes after login: a path or URL on the application's origin only (no open
 * redirect). Without one asked for or configured, the application's home, or koobridge's account
 * page when the application's address is not configured.
 */
export function resolveReturnTo(config: Config, returnTo?: string): string {
  const origin = appOrigin(config);
  let target: URL;
  try {
    target = new URL(returnTo || config.ssoDefaultReturnTo || applicationHome(config) || accountPage(config), `${origin}/`);
  } catch {
    throw new SsoRefusal('return_to_refused', 'returnTo: not a URL or path');
  }
  if (target.origin !== origin) throw new SsoRefusal('return_to_refused', `returnTo: must be on the application's origin ${origin} (APP_ORIGIN)`);
  return target.href;
}

/** Where the IdP's logout sends the browser back to: SSO_LOGOUT_LANDING, else the application's home, else koobridge's signed-out page. */
export function logoutLanding(config: Config): string {
  return config.ssoLogoutLanding || applicationHome(config) || signedOutPage(config);
}

/** Where the account-switch confirmation posts its answer. */
export function switchUrl(config: Config): string {
  return `${config.publicUrl}/sso/switch`;
}
