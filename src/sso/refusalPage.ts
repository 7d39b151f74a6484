import { escapeHtml, htmlPage } from './html.js';
import type { SsoRefusal } from './refusal.js';

/** The page a browser sees when its login is refused: what happened, why, and a reference for support. */
export function refusalPage(refusal: SsoRefusal): string {
  return htmlPage(
    refusal.title,
    `<h1>${escapeHtml(refusal.title)}</h1>
<p>${escapeHtml(refusal.message)}</p>
<p>If this is unexpected, ask your enterprise administrator and quote <code>${escapeHtml(refusal.reason)}</code>.</p>`,
  );
}

/** The same refusal for a caller that asked for JSON. */
export function refusalJson(refusal: SsoRefusal) {
  return { error: refusal.reason, message: refusal.message };
}
