import { escapeHtml, htmlPage } from './html.js';
import type { Identity, SwitchOffer } from './switch.js';

const who = (u: Identity) => escapeHtml(u.name && u.name !== u.userName ? `${u.name} (${u.userName})` : u.userName);
const tenant = (u: Identity) => escapeHtml(u.tenantId);

/** Asks the browser whether the marketplace login it just came back with replaces its current session. */
export function switchPage(offer: SwitchOffer, action: string): string {
  const { current, next } = offer;
  return htmlPage(
    'Switch account? / 切换账号？',
    `<h1>Switch account? <span lang="zh">切换账号？</span></h1>
<p>You are signed in as <b>${who(current)}</b> (tenant ${tenant(current)}). Continue as <b>${who(next)}</b> (tenant ${tenant(next)})?</p>
<p lang="zh">您当前已登录为 <b>${who(current)}</b>（租户 ${tenant(current)}）。是否切换为 <b>${who(next)}</b>（租户 ${tenant(next)}）？</p>
<p>If you did not just sign in from the marketplace, stay: someone may be trying to sign this browser into their account.<br>
<span lang="zh">如果您刚才没有从云商店登录，请保持当前账号：可能有人试图让此浏览器登录到他们的账号。</span></p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(offer.token)}">
<button type="submit" name="action" value="continue">Continue as ${who(next)} / 切换为 ${who(next)}</button>
<button type="submit" name="action" value="cancel">Stay as ${who(current)} / 保持 ${who(current)}</button>
</form>`,
  );
}

/** The same question for a caller that asked for JSON (answered by POST /sso/switch with the token). */
export function switchJson(offer: SwitchOffer) {
  return {
    error: 'session_switch_required',
    message: `this browser is signed in as ${offer.current.userName}; POST /sso/switch with token and action=continue or action=cancel`,
    current: offer.current,
    next: offer.next,
    token: offer.token,
  };
}
