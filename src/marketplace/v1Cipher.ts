import { createCipheriv, createHash, randomInt } from 'node:crypto';

const IV_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** encryptType of the one V1 form whose key derivation is verified (spec §4.2): AES-128-CBC. */
export const V1_ENCRYPT_TYPE = '2';

/**
 * The V1 form of an encrypted appInfo field (spec §4.2): 16 random alphanumeric characters, used
 * as the IV, then Base64(AES-128-CBC-PKCS5(plaintext)). The key is what Java's
 * KeyGenerator("AES").init(128, SHA1PRNG seeded with the access key) yields: SHA1(SHA1(accessKey))[:16].
 */
export function v1Encrypt(accessKey: string, plaintext: string): string {
  const key = createHash('sha1').update(createHash('sha1').update(accessKey, 'utf8').digest()).digest().subarray(0, 16);
  const iv = Array.from({ length: 16 }, () => IV_ALPHABET[randomInt(IV_ALPHABET.length)]).join('');
  const cipher = createCipheriv('aes-128-cbc', key, Buffer.from(iv, 'latin1'));
  return iv + Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}
