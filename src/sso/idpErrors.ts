import { ClientError, ResponseBodyError } from 'openid-client';

export interface IdpFailure {
  /** invalid_grant: the code or refresh token is spent, expired or revoked; unavailable: try again later. */
  kind: 'invalid_grant' | 'refused' | 'unavailable' | 'bad_response';
  message: string;
}

/** What went wrong in a call to the IdP, in words for the user, the audit and the logs (never tokens). */
export function classifyIdpError(err: unknown, timeoutSeconds: number): IdpFailure {
  if (err instanceof ResponseBodyError) {
    const what = `${err.error}${err.error_description ? ` (${err.error_description.slice(0, 120)})` : ''}, HTTP ${err.status}`;
    if (err.error === 'invalid_grant') return { kind: 'invalid_grant', message: what };
    return { kind: err.status >= 500 ? 'unavailable' : 'refused', message: what };
  }
  if (err instanceof ClientError) {
    if (err.code === 'OAUTH_TIMEOUT') return { kind: 'unavailable', message: `no answer within ${timeoutSeconds} s` };
    const status = (err.cause as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number') {
      return { kind: status >= 500 ? 'unavailable' : 'bad_response', message: `${err.message} (HTTP ${status})` };
    }
    return { kind: 'bad_response', message: err.message };
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = err.cause as { code?: string; message?: string } | undefined;
    return { kind: 'unavailable', message: `could not be reached (${cause?.code ?? cause?.message ?? 'network error'})` };
  }
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { kind: 'unavailable', message: `no answer within ${timeoutSeconds} s` };
  }
  return { kind: 'bad_response', message: err instanceof Error ? err.message : String(err) };
}
