import { constants, createHash, privateDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * OAEP variants tried for applicationSync.clientSecret (spec §4.1, open question 5), in order.
 * Java's "OAEPWithSHA-256AndMGF1Padding" uses SHA-256 with MGF1-SHA-1, which Node's privateDecrypt
 * cannot express, so OAEP is decoded here over the raw RSA result.
 */
const OAEP_VARIANTS = [
  { name: 'sha256', hash: 'sha256', mgf: 'sha256' },
  { name: 'sha256/mgf1-sha1', hash: 'sha256', mgf: 'sha1' },
  { name: 'sha1', hash: 'sha1', mgf: 'sha1' },
] as const;

export class SecretDecryptionError extends Error {}

function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0, size = 0; size < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    size += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const r = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) r[i] = a[i]! ^ b[i]!;
  return r;
}

/** RFC 8017 §7.1.2 step 3 (EME-OAEP decoding, empty label); undefined when the padding does not fit. */
function oaepDecode(em: Buffer, hash: string, mgf: string): Buffer | undefined {
  const hLen = createHash(hash).digest().length;
  if (em.length < 2 * hLen + 2 || em[0] !== 0) return undefined;
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(maskedDb, hLen, mgf));
  const db = xor(maskedDb, mgf1(seed, maskedDb.length, mgf));
  const lHash = createHash(hash).digest();
  if (!timingSafeEqual(db.subarray(0, hLen), lHash)) return undefined;
  const sep = db.indexOf(1, hLen);
  if (sep < 0 || db.subarray(hLen, sep).some((b) => b !== 0)) return undefined;
  return db.subarray(sep + 1);
}

/** The app credential's private key, and while its public key is being changed in the seller centre, the one it replaces. */
export interface RsaKeys {
  current: KeyObject;
  previous?: KeyObject;
}

/**
 * Decrypts the base64 RSA-OAEP clientSecret with the current key, else the previous one; returns the
 * plaintext, which OAEP variant matched and which key opened it. Refused with the current key's reason.
 */
export function decryptClientSecret(keys: RsaKeys, ciphertextBase64: string): { secret: string; padding: string; key: 'current' | 'previous' } {
  try {
    return { ...decryptWith(keys.current, ciphertextBase64), key: 'current' };
  } catch (err) {
    if (!(err instanceof SecretDecryptionError) || !keys.previous) throw err;
    try {
      return { ...decryptWith(keys.previous, ciphertextBase64), key: 'previous' };
    } catch {
      throw err;
    }
  }
}

function decryptWith(privateKey: KeyObject, ciphertextBase64: string): { secret: string; padding: string } {
  const ciphertext = Buffer.from(ciphertextBase64.replace(/\s+/g, ''), 'base64');
  const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (ciphertext.length !== modulusBytes) {
    throw new SecretDecryptionError(`clientSecret is not a base64 RSA ciphertext of ${modulusBytes} bytes for the configured key`);
  }
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw new SecretDecryptionError('clientSecret does not decrypt with the configured RSA private key');
  }
  for (const v of OAEP_VARIANTS) {
    const plain = oaepDecode(em, v.hash, v.mgf);
    if (plain) return { secret: plain.toString('utf8'), padding: v.name };
  }
  throw new SecretDecryptionError('clientSecret does not decrypt with the configured RSA private key (RSA-OAEP)');
}
