import { Browser } from '../sso/browser.js';
import type { TestServer } from '../helpers/server.js';

/** The form token on an admin page. */
export const formTokenOf = (html: string) => /name="csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';

const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

/** Posts the sign-in form as a browser would: its page first (for the form token), then the password. */
export async function signIn(browser: Browser, password: string): Promise<Response> {
  const page = await browser.get('/admin/login');
  const { body, headers } = form({ csrf: formTokenOf(await page.text()), password });
  return browser.post('/admin/login', headers, body);
}

/** A browser signed in to the admin console. */
export async function signedInAdmin(s: TestServer): Promise<Browser> {
  const browser = new Browser(s.url);
  const res = await signIn(browser, s.rt.config.adminPassword!);
  if (res.status !== 302) throw new Error(`admin sign-in answered ${res.status}`);
  return browser;
}

/** Posts an admin form with the token of the page at `from`. */
export async function postAdminForm(browser: Browser, from: string, to: string, fields: Record<string, string> = {}): Promise<Response> {
  const csrf = formTokenOf(await (await browser.get(from)).text());
  const { body, headers } = form({ csrf, ...fields });
  return browser.post(to, headers, body);
}
