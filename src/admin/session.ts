import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { isDevelopment, type Config } from '../config/index.js';
import { adminSessionActive, deleteAdminSession, insertAdminSession } from '../store/adminSessions.js';
import type { Db } from '../store/db.js';

export const ADMIN_COOKIE = 'koobridge_admin';
/** Before sign-in: the cookie the sign-in form's token is derived from. */
export const LOGIN_COOKIE = 'koobridge_admin_login';
const SESSION_MS = 12 * 3_600_000;

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

/** Equal texts, compared in a time that does not tell how much of a guess was right. */
export function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The form token of a session: only who holds the cookie's value can make it. */
export const formToken = (cookieValue: string) => createHmac('sha256', cookieValue).update('admin form').digest('base64url');

/** Whether a form's token is the one its cookie gives. */
export const formTokenMatches = (cookieValue: string | undefined, sent: unknown) =>
  typeof sent === 'string' && cookieValue !== undefined && cookieValue !== '' && sameText(formToken(cookieValue), sent);

/** A Set-Cookie line: HttpOnly, SameSite=Strict, Secure outside development, only sent under /admin. */
export function adminCookie(config: Pick<Config, 'nodeEnv'>, name: string, value: string, maxAgeSeconds: number): string {
  const secure = !isDevelopment(config.nodeEnv);
  return `${name}=${value}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** A cookie's value as sent, or undefined (the cookie's characters are ours: base64url). */
export function cookieValue(ctx: Context, name: string): string | undefined {
  const value = ctx.cookies.get(name);
  return value && /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
}

/** Signs in: a new session, its cookie's value returned for the answer. */
export async function openAdminSession(db: Db, now = Date.now()): Promise<{ value: string; maxAgeSeconds: number }> {
  const value = randomBytes(32).toString('base64url');
  await insertAdminSession(db, hash(value), now, now + SESSION_MS);
  return { value, maxAgeSeconds: SESSION_MS / 1000 };
}

export const adminSignedIn = (db: Db, value: string | undefined) => (value ? adminSessionActive(db, hash(value), Date.now()) : Promise.resolve(false));

export const closeAdminSession = (db: Db, value: string) => deleteAdminSession(db, hash(value));
