/**
 * Why a session ended, for the koobridge_sso_sessions_ended_total metric. A closed set, so the
 * metric keeps a fixed number of series.
 */
export const SESSION_END_REASONS = [
  /** The IdP refused the refresh token (invalid_grant): revoked at the IdP, or spent already. */
  'refresh_rejected',
  /**
   * As refresh_rejected, but an earlier renewal of the session got no answer: most likely the IdP
   * rotated the token then and its answer was lost, so we could only offer the spent one.
   */
  'refresh_lost',
  /** No refresh token, one past its 30 days, or one that no key of DATA_ENCRYPTION_KEY opens any more. */
  'refresh_expired',
  /** The tenant or app was gone from the directory when the session was to be renewed. */
  'revoked',
  /** Unused for SSO_SESSION_IDLE_MINUTES. */
  'idle',
  /** SSO_SESSION_ABSOLUTE_HOURS reached. */
  'absolute',
  /** The user signed out. */
  'logout',
] as const;

export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** Where SSO reports the sessions it ends; whoever keeps the metrics subscribes (the HTTP app's /metrics). */
export class SessionEnds {
  private readonly listeners: ((reason: SessionEndReason, count: number) => void)[] = [];

  subscribe(listener: (reason: SessionEndReason, count: number) => void): void {
    this.listeners.push(listener);
  }

  ended(reason: SessionEndReason, count = 1): void {
    if (count > 0) for (const l of this.listeners) l(reason, count);
  }
}
