import type { Context } from 'koa';
import { renderView } from '../http/views.js';
import type { Language } from '../sso/wording.js';
import { ADMIN_WORDING, type AdminWords, type WordKey } from './wording.js';

/** A link of the console's navigation. */
export interface NavEntry {
  path: string;
  word: WordKey;
}

const LANGUAGE_COOKIE = 'koobridge_admin_lang';

/**
 * The console's language: `?lang=` (remembered in a cookie), else the cookie, else the browser's
 * first preference of Chinese and English.
 */
export function adminLanguage(ctx: Context): Language {
  const asked = ctx.query.lang;
  if (asked === 'zh' || asked === 'en') {
    ctx.cookies.set(LANGUAGE_COOKIE, asked, { path: '/admin', httpOnly: true, sameSite: 'strict', secure: false, overwrite: true, maxAge: 365 * 86_400_000 });
    return asked;
  }
  const kept = ctx.cookies.get(LANGUAGE_COOKIE);
  if (kept === 'zh' || kept === 'en') return kept;
  return (ctx.acceptsLanguages('en', 'zh') || 'en') as Language;
}

/** What every admin page's template receives besides its own data. */
export interface AdminPageData {
  lang: Language;
  t: AdminWords;
  /** The form token every form posts as `csrf`. */
  csrf: string;
  nav: NavEntry[];
  path: string;
  /** This address in the other language. */
  switchTo: string;
}

/** The state the console's middleware leaves for its pages. */
export interface AdminState {
  csrf: string;
  nav: NavEntry[];
}

/** This request's address with `lang` set to the other language. */
function otherLanguageLink(ctx: Context, lang: Language): string {
  const params = new URLSearchParams(ctx.querystring);
  params.set('lang', lang === 'zh' ? 'en' : 'zh');
  return `${ctx.path}?${params}`;
}

/**
 * Answers with `views/admin/<view>.eta` in the console's layout: a page adds its route and its
 * template, and reads `it.t` (its words), `it.csrf` (for forms) and its own data.
 */
export function renderAdmin(ctx: Context, view: string, data: { title: string } & Record<string, unknown>, status = 200): void {
  const lang = adminLanguage(ctx);
  const state = ctx.state.admin as AdminState | undefined;
  const page: AdminPageData = { lang, t: ADMIN_WORDING[lang], csrf: state?.csrf ?? '', nav: state?.nav ?? [], path: ctx.path, switchTo: otherLanguageLink(ctx, lang) };
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
  ctx.vary('Accept-Language');
  // The console's one script (views/admin/tree.js, for the lazy department tree) comes from us.
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  ctx.body = renderView(`admin/${view}`, { ...data, ...page });
}

/** The words of the request's language, for a page's handler. */
export const adminWords = (ctx: Context): AdminWords => ADMIN_WORDING[adminLanguage(ctx)];

/** The page a list is asked for (`?page=`): 1 for anything but a number from 1, at most 100,000. */
export function pageNumber(ctx: Context): number {
  const asked = typeof ctx.query.page === 'string' ? Number.parseInt(ctx.query.page, 10) : 1;
  return Math.min(Math.max(1, asked || 1), 100_000);
}
