import { createHmac, timingSafeEqual } from 'node:crypto';

/** Which form of the body a signature was computed over (spec §3.4, open question 1). */
export type PayloadForm = 'raw' | 'canonical';

export interface Payload {
  form: PayloadForm;
  text: () => string;
}

function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** Kit x-sign (spec §3.3): HMAC over key + nonce + timestamp + payload, key = kit accessKey. */
export function kitSignature(key: string, nonce: string, timestamp: string, payload: string): string {
  return hmacHex(key, key + nonce + timestamp + payload);
}

/** Basic signature (spec §3.2): as kit, but over the hex HMAC of the payload instead of the payload. */
export function basicSignature(key: string, nonce: string, timestamp: string, payload: string): string {
  return hmacHex(key, key + nonce + timestamp + hmacHex(key, payload));
}

/**
 * The Java demo's form: top-level keys sorted (UTF-16 order, as TreeMap), top-level nulls dropped,
 * compact, non-ASCII kept; nested values as received.
 */
export function canonicalPayload(body: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(body).sort()) {
    if (body[key] !== null && body[key] !== undefined) sorted[key] = body[key];
  }
  return JSON.stringify(sorted);
}

/**
 * The payload forms a signature may cover, cheapest first: the raw body, then (when accepted) the
 * canonical form, which is only serialised if the raw form did not match.
 */
export function payloadForms(raw: string, body: Record<string, unknown>, acceptCanonical: boolean): Payload[] {
  const forms: Payload[] = [{ form: 'raw', text: () => raw }];
  if (acceptCanonical) forms.push({ form: 'canonical', text: () => canonicalPayload(body) });
  return forms;
}

/** Constant-time, case-insensitive compare of a hex signature. */
export function sameSignature(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex.toLowerCase(), 'utf8');
  const b = Buffer.from(givenHex.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The first form whose signature matches, or undefined. */
export function matchingForm(given: string, forms: Payload[], sign: (payload: string) => string): PayloadForm | undefined {
  return forms.find((p) => sameSignature(sign(p.text()), given))?.form;
}
