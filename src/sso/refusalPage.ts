import type { SsoRefusal } from './refusal.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** The page a browser sees when its login is refused: what happened, why, and a reference for support. */
export function refusalPage(refusal: SsoRefusal): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(refusal.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .3em}</style>
</head>
<body>
<h1>${escape(refusal.title)}</h1>
<p>${escape(refusal.message)}</p>
<p>If this is unexpected, ask your enterprise administrator and quote <code>${escape(refusal.reason)}</code>.</p>
</body>
</html>
`;
}

/** The same refusal for a caller that asked for JSON. */
export function refusalJson(refusal: SsoRefusal) {
  return { error: refusal.reason, message: refusal.message };
}
