import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';

export interface GeneratedKey {
  variable: string;
  /** What to show the developer: the value, or for the RSA key its public half for the seller centre. */
  display: string;
}

/** A key the server makes for itself outside production (declared in settings.ts). */
export interface DevelopmentKey {
  /** The config field it fills; also its name in dev-keys.json files written before they used variable names. */
  field: string;
  /** The environment variable that sets it, and its name in dev-keys.json. */
  variable: string;
  /** The variable the start banner names for it. */
  bannerVariable: string;
  generate: () => string;
  display?: (value: string) => string;
}

/** The public key as the seller centre wants it: base64 X.509 SubjectPublicKeyInfo, no PEM lines. */
export function sellerCentrePublicKey(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * Development keys live in dataDir/dev-keys.json, named by their environment variables (so a value
 * can be copied into the environment as it stands), and a restart keeps the same keys (the seller
 * centre's registered public key stays valid). Only the missing keys are filled.
 */
export function loadDevelopmentKeys(dataDir: string, missing: readonly DevelopmentKey[]) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'dev-keys.json');
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const generated: GeneratedKey[] = [];
  let rewrite = false;
  const values: Record<string, string> = {};
  for (const key of missing) {
    // A file from before the variable names keeps working, and is rewritten with them.
    if (stored[key.variable] === undefined && stored[key.field] !== undefined) {
      stored[key.variable] = stored[key.field]!;
      delete stored[key.field];
      rewrite = true;
    }
    if (stored[key.variable] === undefined) {
      const value = key.generate();
      stored[key.variable] = value;
      generated.push({ variable: key.bannerVariable, display: key.display ? key.display(value) : value });
      rewrite = true;
    }
    values[key.field] = stored[key.variable]!;
  }
  if (rewrite) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return { values, generated, file };
}
