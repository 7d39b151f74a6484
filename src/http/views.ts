import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { PAGE_WORDING, type Language } from '../sso/wording.js';

/**
 * The HTML pages koobridge shows people, rendered from the templates in `views/` with every value
 * escaped unless a template says otherwise. The same templates serve from `src/` (tsx, tests) and
 * from the compiled `dist/src/`, so the folder is found by walking up from this module.
 */
function viewsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'views', 'layout.eta'))) return join(dir, 'views');
    const up = dirname(dir);
    if (up === dir) throw new Error('koobridge: the views folder (page templates) is missing from the installation');
    dir = up;
  }
}

const VIEWS = viewsFolder();
const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true });

/** A file kept beside the templates (a page's script), as text. */
export const viewFile = (name: string): string => readFileSync(join(VIEWS, name), 'utf8');

/** The page's language: the browser's first preference of Chinese (any zh*) and English, else English. */
export function pageLanguage(ctx: Context): Language {
  return (ctx.acceptsLanguages('en', 'zh') || 'en') as Language;
}

/** Renders `views/<name>.eta` as the answer, in the request's language. */
export function renderPage(ctx: Context, name: string, data: Record<string, unknown>, status = 200): void {
  const lang = pageLanguage(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
  ctx.vary('Accept-Language');
  ctx.body = renderView(name, { ...data, lang, t: PAGE_WORDING[lang] });
}

/** `views/<name>.eta` as HTML text, for a page served outside koobridge's app (the dev IdP's). */
export function renderView(name: string, data: Record<string, unknown>): string {
  return eta.render(`./${name}`, data);
}
