import { generateKeyPairSync, publicEncrypt, constants, createHash, randomBytes, type KeyObject } from 'node:crypto';

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

/** The keys as environment variables, for a server under test (in this process or a child). */
export const keyEnv = () => ({
  KIT_ACCESS_KEY: TEST_KEYS.kit,
  BASIC_ACCESS_KEY: TEST_KEYS.basic,
  API_TOKEN: TEST_KEYS.apiToken,
  DATA_ENCRYPTION_KEY: TEST_KEYS.dataEncryptionKey,
  RSA_PRIVATE_KEY: testRsa().privatePem,
});

/** What the marketplace sends as applicationSync.clientSecret: base64 RSA-OAEP with the seller's public key. */
export function encryptClientSecret(secret: string, publicKey: KeyObject = testRsa().publicKey, oaepHash: 'sha1' | 'sha256' = 'sha256'): string {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(secret)).toString('base64');
}

/**
 * RSA-OAEP as Java's "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" produces it: SHA-256 for the label
 * hash but MGF1 with SHA-1 (SunJCE's default). Node cannot express that mix, so the padding is built
 * here (RFC 8017 §7.1.1) and only the raw RSA operation is left to Node.
 */
export function encryptClientSecretJavaSha256(secret: string, publicKey: KeyObject = testRsa().publicKey): string {
  const k = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const hLen = 32;
  const message = Buffer.from(secret);
  const db = Buffer.concat([createHash('sha256').digest(), Buffer.alloc(k - message.length - 2 * hLen - 2), Buffer.from([1]), message]);
  const seed = randomBytes(hLen);
  const maskedDb = xor(db, mgf1Sha1(seed, db.length));
  const maskedSeed = xor(seed, mgf1Sha1(maskedDb, hLen));
  const em = Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
  return publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em).toString('base64');
}

function mgf1Sha1(seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 20 < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash('sha1').update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((v, i) => v ^ b[i]!));
