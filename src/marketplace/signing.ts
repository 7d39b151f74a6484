import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Which form of the body a signature was computed over (spec §3.4, open question 1). */
export type PayloadForm = 'raw' | 'canonical';

/** The signed text: the body's bytes as received, or a string (UTF-8). */
export type SignedPayload = string | Buffer;

function hmacHex(key: string, ...parts: SignedPayload[]): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

/** Kit x-sign (spec §3.3): HMAC over key + nonce + timestamp + payload, key = kit accessKey. */
export function kitSignature(key: string, nonce: string, timestamp: string, payload: SignedPayload): string {
  return hmacHex(key, key + nonce + timestamp, payload);
}

/** Basic signature (spec §3.2): as kit, but over the hex HMAC of the payload instead of the payload. */
export function basicSignature(key: string, nonce: string, timestamp: string, payload: SignedPayload): string {
  return hmacHex(key, key + nonce + timestamp + hmacHex(key, payload));
}

/** Constant-time, case-insensitive compare of a hex signature. */
export function sameSignature(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex.toLowerCase(), 'utf8');
  const b = Buffer.from(givenHex.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The credentials of one signed call: the channel's access key, a fresh nonce, the timestamp (ms) sent. */
export interface CallCredentials {
  key: string;
  nonce: string;
  timestamp: string;
}

/**
 * Where and how the marketplace sends a call (spec §3.2, §3.3): a kit call to
 * `{base}/produceAPI/v2/{call}` with `x-sign`/`x-timestamp`/`x-nonce` headers, a basic call to
 * `{base}` with `signature`/`timestamp`/`nonce` in the query; signatures in upper-case hex.
 */
export function signedCallRequest(channel: 'kit' | 'basic', base: string, call: string, raw: SignedPayload, c: CallCredentials): { url: URL; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json;charset=utf8' };
  if (channel === 'kit') {
    const url = new URL(`${base.replace(/\/+$/, '')}/produceAPI/v2/${call}`);
    return { url, headers: { ...headers, 'x-sign': kitSignature(c.key, c.nonce, c.timestamp, raw).toUpperCase(), 'x-timestamp': c.timestamp, 'x-nonce': c.nonce } };
  }
  const url = new URL(base);
  url.searchParams.set('signature', basicSignature(c.key, c.nonce, c.timestamp, raw).toUpperCase());
  url.searchParams.set('timestamp', c.timestamp);
  url.searchParams.set('nonce', c.nonce);
  return { url, headers };
}

/**
 * A short fingerprint of an access key (the first 8 hex digits of its SHA-256), to tell which key is
 * configured without showing it: the merchant compares it with the key the seller centre shows.
 */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
