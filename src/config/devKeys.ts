import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes, createPublicKey } from 'node:crypto';
import { join } from 'node:path';

export interface GeneratedKey {
  variable: string;
  /** What to show the developer: the value, or for the RSA key its public half for the seller centre. */
  display: string;
}

type Field = 'kitAccessKey' | 'basicAccessKey' | 'rsaPrivateKeyPem' | 'dataEncryptionKey' | 'apiToken';

const GENERATORS: Record<Field, { variable: string; make: () => string }> = {
  kitAccessKey: { variable: 'KIT_ACCESS_KEY', make: () => randomBytes(24).toString('hex') },
  basicAccessKey: { variable: 'BASIC_ACCESS_KEY', make: () => randomBytes(24).toString('hex') },
  apiToken: { variable: 'API_TOKEN', make: () => randomBytes(32).toString('base64url') },
  dataEncryptionKey: { variable: 'DATA_ENCRYPTION_KEY', make: () => randomBytes(32).toString('base64') },
  rsaPrivateKeyPem: {
    variable: 'RSA_PRIVATE_KEY_FILE',
    make: () =>
      generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  },
};

/** The public key as the seller centre wants it: base64 X.509 SubjectPublicKeyInfo, no PEM lines. */
export function sellerCentrePublicKey(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * Development keys live in dataDir/dev-keys.json so a restart keeps the same keys (and the
 * seller centre's registered public key stays valid). Only the missing fields are filled.
 */
export function loadDevelopmentKeys(dataDir: string, missing: readonly Field[]) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'dev-keys.json');
  const stored: Partial<Record<Field, string>> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const generated: GeneratedKey[] = [];
  for (const field of missing) {
    if (stored[field] === undefined) {
      stored[field] = GENERATORS[field].make();
      const value = stored[field]!;
      generated.push({
        variable: GENERATORS[field].variable,
        display: field === 'rsaPrivateKeyPem' ? `public key for the seller centre: ${sellerCentrePublicKey(value)}` : value,
      });
    }
  }
  if (generated.length > 0) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  const values = Object.fromEntries(missing.map((f) => [f, stored[f]]));
  return { values, generated, file };
}
