import type { Config } from '../config/index.js';
import { SsoRefusal } from './refusal.js';
import { appOrigin } from './urls.js';

/** Sec-Fetch-Site values of a request another site did not send. */
const NOT_CROSS_SITE = new Set(['same-origin', 'same-site', 'none']);

/**
 * Refuses a state-changing POST (logout, account switch) that another site made the browser send.
 * Origin must be ours or the application's (an absent one is an older browser or a non-browser
 * client; `null` is an opaque, hence foreign, origin); Sec-Fetch-Site must not say cross-site. The
 * application on another site could not use these routes anyway: the SameSite=Lax session cookie
 * is not sent on a cross-site POST.
 */
export function assertNotCrossSite(config: Config, origin: string, fetchSite: string, what: string): void {
  const ours = [new URL(config.publicUrl).origin, appOrigin(config)];
  if ((origin === '' || ours.includes(origin)) && (fetchSite === '' || NOT_CROSS_SITE.has(fetchSite))) return;
  const sent = [origin && `Origin ${origin.slice(0, 200)}`, fetchSite && `Sec-Fetch-Site ${fetchSite.slice(0, 32)}`].filter(Boolean).join(', ');
  throw new SsoRefusal('cross_site_request', `${what} was sent from another site (${sent}); nothing was changed. Use the application's own page for it.`);
}
