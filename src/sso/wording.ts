import type { RefusalReason } from './refusal.js';
import type { SessionEndCause } from './sessions.js';

/**
 * What a person reads on koobridge's sign-in pages, in Chinese and English. Fixed text only: nothing a
 * request carries is shown except the signed-in user's own name and enterprise. The technical reason
 * stays in the log and the audit record, found there by the page's reference code.
 */

export type Language = 'zh' | 'en';

interface Words {
  title: string;
  message: string;
}
type Bilingual<T> = Record<Language, T>;

/** The ways forward a refusal page can offer. */
export type Action = 'retry' | 'app' | 'admin';

const refusal = (actions: Action[], zh: Words, en: Words) => ({ actions, zh, en });

const TRY_AGAIN_LATER: Bilingual<Words> = {
  zh: { title: '身份认证服务暂时无法访问', message: '企业的登录服务暂时没有响应，您没有登录成功。请稍后重新登录。' },
  en: { title: 'The sign-in service is not answering', message: "Your enterprise's sign-in service did not answer, so you were not signed in. Please try again in a few minutes." },
};

export const REFUSAL_WORDING: Record<RefusalReason, { actions: Action[] } & Bilingual<Words>> = {
  invalid_request: refusal(
    ['retry', 'app'],
    { title: '登录链接不完整', message: '您打开的登录链接缺少必要的信息。请从应用或云商店重新进入。' },
    { title: 'This sign-in link is incomplete', message: 'The link you opened is missing some information. Please start again from the application or the marketplace.' },
  ),
  invalid_state: refusal(
    ['retry', 'app'],
    { title: '登录链接已失效', message: '这个登录链接已过期或已经使用过。请重新登录。' },
    { title: 'This sign-in link has expired', message: 'This sign-in link has expired or was already used. Please sign in again.' },
  ),
  state_other_browser: refusal(
    ['retry', 'app'],
    { title: '请在同一个浏览器中完成登录', message: '这次登录是在另一个浏览器中开始的，或者浏览器清除了 Cookie，因此没有为任何人登录。请在当前浏览器中重新登录。' },
    {
      title: 'Please finish signing in in the same browser',
      message: 'This sign-in was started in another browser, or this browser has cleared its cookies, so nobody was signed in. Please sign in again in this browser.',
    },
  ),
  switch_invalid: refusal(
    ['app'],
    { title: '此确认已失效', message: '这个切换账号的确认已过期或已经回答过，账号没有变化。' },
    { title: 'This confirmation has expired', message: 'This account-switch confirmation has expired or was already answered; nothing changed.' },
  ),
  logout_invalid: refusal(
    ['app'],
    { title: '退出页面已失效', message: '这个退出登录的页面已过期，没有执行任何操作。请重新打开退出页面。' },
    { title: 'This sign-out page has expired', message: 'This sign-out page is out of date, so nothing was done. Please open the sign-out page again.' },
  ),
  cross_site_request: refusal(
    ['app'],
    { title: '请求来自其他网站', message: '这个请求是由其他网站发起的，为了您的安全没有执行任何操作。请在本页面或应用中操作。' },
    { title: 'This request came from another site', message: 'Another website sent this request, so nothing was done, for your safety. Please use this site or the application instead.' },
  ),
  return_to_refused: refusal(
    ['app'],
    { title: '无法返回到该页面', message: '登录后要返回的地址不属于本应用，因此没有登录。请从应用中重新进入。' },
    { title: 'That page is not part of the application', message: 'The address to return to after sign-in is not part of this application, so sign-in did not start. Please start again from the application.' },
  ),
  idp_error: refusal(
    ['retry', 'app'],
    { title: '登录未成功', message: '企业的登录服务没有让您登录。请重新登录；如果问题持续，请联系企业管理员。' },
    { title: 'Sign-in did not succeed', message: "Your enterprise's sign-in service did not sign you in. Please try again; if it keeps happening, contact your enterprise administrator." },
  ),
  idp_access_denied: refusal(
    ['retry', 'admin'],
    { title: '登录已取消或被拒绝', message: '登录在企业的登录服务中被取消或拒绝。如果您需要使用此应用，请重新登录或联系企业管理员。' },
    { title: 'Sign-in was cancelled or denied', message: "Sign-in was cancelled or denied at your enterprise's sign-in service. If you need this application, sign in again or ask your enterprise administrator." },
  ),
  idp_login_required: refusal(
    ['retry'],
    { title: '需要重新登录', message: '企业的登录服务需要您再次输入账号信息。请重新登录。' },
    { title: 'Please sign in again', message: "Your enterprise's sign-in service needs you to sign in again. Please start the sign-in again." },
  ),
  code_rejected: refusal(
    ['retry', 'app'],
    { title: '登录未能完成', message: '这次登录已过期或已经使用过（例如刷新了页面或返回了上一页）。请重新登录。' },
    { title: 'Sign-in could not be completed', message: 'This sign-in has expired or was already used (for example after reloading the page or going back). Please sign in again.' },
  ),
  tenant_mismatch: refusal(
    ['retry', 'admin'],
    { title: '此账号属于其他企业', message: '您登录的账号不属于开通此应用的企业。请使用本企业的账号重新登录，或联系企业管理员。' },
    { title: 'This account belongs to another enterprise', message: 'The account you signed in with belongs to a different enterprise. Sign in with an account of this enterprise, or ask your enterprise administrator.' },
  ),
  tenant_not_synced: refusal(
    ['admin'],
    { title: '企业尚未开通此应用', message: '您的企业还没有在本应用中开通，或开通已被撤销。请联系企业管理员。' },
    { title: 'Your enterprise is not set up for this application', message: 'Your enterprise has not been set up in this application yet, or its setup was withdrawn. Please contact your enterprise administrator.' },
  ),
  app_not_synced: refusal(
    ['admin'],
    { title: '此应用尚未为您的企业开通', message: '此应用还没有为您的企业完成配置。请联系企业管理员。' },
    { title: 'This application is not set up for your enterprise', message: 'This application has not been configured for your enterprise yet. Please contact your enterprise administrator.' },
  ),
  app_ambiguous: refusal(
    ['app', 'admin'],
    { title: '无法确定要登录的应用', message: '您的企业开通了多个应用，无法确定要登录哪一个。请从应用中进入，或联系企业管理员。' },
    { title: 'We could not tell which application you meant', message: 'Your enterprise has several applications here and we could not tell which one to sign you in to. Please start from the application, or contact your enterprise administrator.' },
  ),
  instance_frozen: refusal(
    ['admin'],
    { title: '订阅已冻结', message: '您企业的此应用订阅已被冻结（例如已到期或欠费），暂时无法登录。续费或解冻后即可恢复，请联系企业管理员。' },
    { title: 'The subscription is frozen', message: "Your enterprise's subscription to this application is frozen (for example overdue or expired), so sign-in is paused. It resumes once renewed; please contact your enterprise administrator." },
  ),
  instance_released: refusal(
    ['admin'],
    { title: '订阅已结束', message: '您企业的此应用订阅已结束，无法再登录。请联系企业管理员。' },
    { title: 'The subscription has ended', message: "Your enterprise's subscription to this application has ended, so it can no longer be used. Please contact your enterprise administrator." },
  ),
  user_not_authorized: refusal(
    ['admin', 'retry'],
    { title: '您的账号未获授权使用此应用', message: '企业管理员还没有授权您的账号使用此应用。请联系企业管理员授权，或使用其他账号登录。' },
    { title: 'Your account may not use this application', message: 'Your enterprise administrator has not given your account access to this application. Ask your administrator for access, or sign in with another account.' },
  ),
  authorization_cancelled: refusal(
    ['admin', 'retry'],
    { title: '您的授权已被取消', message: '企业管理员取消了您的账号使用此应用的授权。如需继续使用，请联系企业管理员。' },
    { title: 'Your access was withdrawn', message: 'Your enterprise administrator withdrew your access to this application. To use it again, please contact your enterprise administrator.' },
  ),
  user_disabled: refusal(
    ['admin', 'retry'],
    { title: '您的账号已被停用', message: '您的账号在此应用中已被企业管理员停用。请联系企业管理员。' },
    { title: 'Your account is disabled', message: 'Your enterprise administrator has disabled your account for this application. Please contact your enterprise administrator.' },
  ),
  idp_unavailable: refusal(['retry', 'app'], TRY_AGAIN_LATER.zh, TRY_AGAIN_LATER.en),
  idp_bad_response: refusal(
    ['retry', 'admin'],
    { title: '登录服务返回了无法处理的结果', message: '企业的登录服务返回的结果无法处理，您没有登录成功。请稍后重试；如果问题持续，请联系企业管理员。' },
    { title: 'The sign-in service gave an answer we cannot use', message: "Your enterprise's sign-in service answered in a way we cannot use, so you were not signed in. Please try again later; if it keeps happening, contact your enterprise administrator." },
  ),
  insecure_idp: refusal(
    ['admin'],
    { title: '登录服务地址不安全', message: '您企业配置的登录服务地址不安全，因此没有连接它。请联系企业管理员。' },
    { title: "The sign-in service's address is not allowed", message: "Your enterprise's sign-in service is configured at an address that is not secure, so we did not contact it. Please contact your enterprise administrator." },
  ),
  app_secret_unreadable: refusal(
    ['admin'],
    { title: '暂时无法登录', message: '此应用的登录配置暂时无法使用，您没有登录成功。我们已记录问题，请稍后再试或联系应用的服务商。' },
    { title: 'Sign-in is not available right now', message: "This application's sign-in set-up cannot be used at the moment, so you were not signed in. The problem has been recorded; please try again later or contact the application's provider." },
  ),
};

/** Why a browser's session ended, on the account page (and, in English, in the JSON answers). */
export const SESSION_END_WORDING: Record<SessionEndCause, Bilingual<string>> = {
  logged_out: { zh: '您已退出登录。', en: 'You signed out.' },
  expired: { zh: '您的登录已过期。', en: 'Your sign-in expired.' },
  idp_refused: { zh: '企业的登录服务结束了您的登录（例如您在那里退出或修改了密码）。', en: "Your enterprise's sign-in service ended your sign-in (for example you signed out or changed your password there)." },
  deauthorized: { zh: '企业管理员取消了您使用此应用的授权。', en: 'Your enterprise administrator withdrew your access to this application.' },
  removed: { zh: '您的企业或此应用已被移除。', en: 'Your enterprise or this application was removed.' },
  frozen: { zh: '您企业的此应用订阅已被冻结。', en: "Your enterprise's subscription to this application was frozen." },
  released: { zh: '您企业的此应用订阅已结束。', en: "Your enterprise's subscription to this application has ended." },
  replaced: { zh: '此浏览器已用另一个账号登录。', en: 'This browser signed in with another account.' },
  admin: { zh: '应用服务商的管理员结束了您的登录。', en: "The application's provider ended your sign-in." },
};

/** Everything else the pages say. */
export const PAGE_WORDING: Bilingual<Record<string, string>> = {
  zh: {
    retry: '重新登录',
    app: '进入应用',
    admin: '如需帮助，请联系您的企业管理员，并告知下方的参考编号。',
    reference: '参考编号',
    signedInTitle: '已登录',
    signedInAs: '您已登录为',
    enterprise: '企业',
    noAppConfigured: '此应用的地址尚未配置，您可以关闭此页面。',
    logout: '退出登录',
    notSignedInTitle: '未登录',
    notSignedIn: '此浏览器当前没有登录。',
    logoutTitle: '退出登录？',
    logoutQuestion: '是否退出当前账号？',
    logoutConfirm: '退出登录',
    logoutCancel: '取消',
    signedOutTitle: '已退出登录',
    signedOut: '您已退出登录。',
    signingOutAtIdp: '您已在此应用中退出登录，正在企业的登录服务中退出……',
    continue: '继续',
    period: '。',
    question: '？',
    askAdmin: '如有疑问，请联系您的企业管理员。',
    switchTitle: '切换账号？',
    switchCurrent: '您当前已登录为',
    switchNext: '是否切换为',
    switchWarning: '如果您刚才没有从云商店登录，请保持当前账号：可能有人试图让此浏览器登录到他们的账号。',
    switchContinue: '切换账号',
    switchStay: '保持当前账号',
  },
  en: {
    retry: 'Sign in again',
    app: 'Go to the application',
    admin: 'If you need help, contact your enterprise administrator and quote the reference below.',
    reference: 'Reference',
    signedInTitle: 'Signed in',
    signedInAs: 'You are signed in as',
    enterprise: 'Enterprise',
    noAppConfigured: "The application's address is not configured yet; you can close this page.",
    logout: 'Sign out',
    notSignedInTitle: 'Not signed in',
    notSignedIn: 'This browser is not signed in.',
    logoutTitle: 'Sign out?',
    logoutQuestion: 'Do you want to sign out?',
    logoutConfirm: 'Sign out',
    logoutCancel: 'Cancel',
    signedOutTitle: 'Signed out',
    signedOut: 'You have signed out.',
    signingOutAtIdp: "You are signed out here; now signing you out at your enterprise's sign-in service…",
    continue: 'Continue',
    period: '.',
    question: '?',
    askAdmin: 'If this is unexpected, please contact your enterprise administrator.',
    switchTitle: 'Switch account?',
    switchCurrent: 'You are signed in as',
    switchNext: 'Continue as',
    switchWarning: 'If you did not just sign in from the marketplace, stay: someone may be trying to sign this browser into their account.',
    switchContinue: 'Switch account',
    switchStay: 'Stay signed in as before',
  },
};
