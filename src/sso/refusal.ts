/** Why a login (or a login step) was refused, with the HTTP status its answer carries; the words are in wording.ts. */
const STATUSES = {
  invalid_request: 400,
  invalid_state: 400,
  state_other_browser: 403,
  switch_invalid: 400,
  logout_invalid: 400,
  cross_site_request: 403,
  return_to_refused: 400,
  idp_error: 401,
  idp_access_denied: 401,
  idp_login_required: 401,
  code_rejected: 401,
  tenant_mismatch: 403,
  tenant_not_synced: 403,
  app_not_synced: 403,
  instance_frozen: 403,
  instance_released: 403,
  user_not_authorized: 403,
  authorization_cancelled: 403,
  user_disabled: 403,
  app_ambiguous: 409,
  idp_unavailable: 502,
  idp_bad_response: 502,
  insecure_idp: 502,
  /** The tenant's clientSecret is sealed with a key no longer in DATA_ENCRYPTION_KEY: the operator must act. */
  app_secret_unreadable: 503,
} as const;

export type RefusalReason = keyof typeof STATUSES;

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

  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly subject: RefusalSubject = {},
  ) {
    super(message);
    this.status = STATUSES[reason];
  }

  /** The same refusal, also naming who it concerns. */
  about(subject: RefusalSubject): SsoRefusal {
    return new SsoRefusal(this.reason, this.message, { ...subject, ...this.subject });
  }
}
