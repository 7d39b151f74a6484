import { generateKeyPairSync, publicEncrypt, constants, randomBytes, type KeyObject } from 'node:crypto';

/** One RSA key pair per test process (3072-bit generation is slow). */
let pair: { privatePem: string; publicKey: KeyObject } | undefined;

export function testRsa() {
  if (!pair) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    pair = { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
  }
  return pair;
}

export const TEST_KEYS = {
  kit: 'kit-access-key-for-tests-0123456789',
  basic: 'basic-access-key-for-tests-0123456789',
  apiToken: 'api-token-for-tests-0123456789abcdef',
  dataEncryptionKey: randomBytes(32).toString('base64'),
};

/** What the marketplace sends as applicationSync.clientSecret: base64 RSA-OAEP with the seller's public key. */
export function encryptClientSecret(secret: string, publicKey: KeyObject = testRsa().publicKey, oaepHash: 'sha1' | 'sha256' = 'sha256'): string {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(secret)).toString('base64');
}
