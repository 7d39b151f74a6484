/** Why a login (or a login step) was refused; each has an HTTP status and a page title. */
const REASONS = {
  invalid_request: { status: 400, title: 'The login request is incomplete' },
  invalid_state: { status: 400, title: 'This login link has expired or was already used' },
  state_other_browser: { status: 403, title: 'This login was started in another browser' },
  switch_invalid: { status: 400, title: 'This confirmation has expired or was already answered' },
  cross_site_request: { status: 403, title: 'This request came from another site' },
  return_to_refused: { status: 400, title: 'The page to return to is not allowed' },
  idp_error: { status: 401, title: 'The identity provider did not sign you in' },
  code_rejected: { status: 401, title: 'The login could not be completed' },
  tenant_mismatch: { status: 403, title: 'This account belongs to another enterprise' },
  tenant_not_synced: { status: 403, title: 'This enterprise is not set up for this application' },
  app_not_synced: { status: 403, title: 'This application is not set up for your enterprise' },
  instance_frozen: { status: 403, title: 'The subscription is frozen' },
  instance_released: { status: 403, title: 'The subscription has ended' },
  user_not_authorized: { status: 403, title: 'Your account is not authorized for this application' },
  authorization_cancelled: { status: 403, title: 'Your authorization for this application was cancelled' },
  user_disabled: { status: 403, title: 'Your account is disabled for this application' },
  app_ambiguous: { status: 409, title: 'Several applications could be meant' },
  idp_unavailable: { status: 502, title: 'The identity provider is not answering' },
  idp_bad_response: { status: 502, title: 'The identity provider gave an answer we cannot use' },
  insecure_idp: { status: 502, title: "The identity provider's address is not allowed" },
} as const;

export type RefusalReason = keyof typeof REASONS;

/** Who a refusal is about, for its audit record. */
export interface RefusalSubject {
  instanceId?: string;
  tenantId?: string;
  appId?: string;
  userName?: string;
}

/** A login refused for a reason the user (or the merchant's operator) can act on. */
export class SsoRefusal extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly subject: RefusalSubject = {},
  ) {
    super(message);
    this.status = REASONS[reason].status;
    this.title = REASONS[reason].title;
  }

  /** The same refusal, also naming who it concerns. */
  about(subject: RefusalSubject): SsoRefusal {
    return new SsoRefusal(this.reason, this.message, { ...subject, ...this.subject });
  }
}
