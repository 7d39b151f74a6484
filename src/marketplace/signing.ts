import { createHmac, timingSafeEqual } from 'node:crypto';

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
