import type { Config } from '../config/index.js';
import { randomSecret } from './sessions.js';

/**
 * App-initiated logins are bound to the browser that started them (login CSRF, RFC 6749 §10.12):
 * /sso/login puts a random value in a short-lived cookie and stores its SHA-256 with the state; the
 * callback accepts the state only from a browser holding that cookie.
 *
 * One value per browser, shared by all its pending logins, rather than a cookie per state: several
 * tabs can log in at once, and a site sending the browser to /sso/login again and again adds no
 * cookies (a cookie per state could grow the Cookie header past what servers accept).
 */
export const bindingCookieName = (config: Pick<Config, 'ssoCookieName'>) => `${config.ssoCookieName}_login`;

/** What randomSecret() makes; anything else in the cookie is replaced. */
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

/** The browser's binding: the value its cookie already holds, else a new one. */
export const browserBinding = (cookie: string | undefined): string => (cookie !== undefined && WELL_FORMED.test(cookie) ? cookie : randomSecret());
