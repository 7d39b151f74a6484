import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { sellerCentrePublicKey } from '../config/devKeys.js';
import { SETTINGS, type Setting } from '../config/settings.js';
import type { RegisterCommand } from './commands.js';
import { paintFor } from './terminal.js';

interface KeygenOptions {
  keyFile: string;
  writeEnv?: string;
  force?: boolean;
  json?: boolean;
}

/** The keys production needs, as settings.ts declares and generates them. */
const KEYS = (Object.values(SETTINGS) as Setting[]).filter((s) => s.generate);
const RSA = SETTINGS.rsaPrivateKeyPem;
const NEEDED_TOO = '# production also needs NODE_ENV=production, DATABASE_URL and PUBLIC_URL; `koobridge doctor` checks the whole configuration';

export const registerKeygen: RegisterCommand = (program: Command) => {
  program
    .command('keygen')
    .description('make the keys production needs: an RSA 3072 private key (its public key printed for the seller centre), the access keys, DATA_ENCRYPTION_KEY and API_TOKEN')
    .option('--key-file <path>', 'where the RSA private key is written (PKCS#8 PEM, mode 0600)', 'koobridge-rsa.pem')
    .option('--write-env <path>', 'also write the other secrets, and RSA_PRIVATE_KEY_FILE, as an env file (mode 0600); without it they are printed')
    .option('--force', 'overwrite files that exist')
    .option('--json', 'print the result as JSON')
    .action((o: KeygenOptions) => {
      process.exitCode = keygen(o);
    });
};

function keygen(o: KeygenOptions): number {
  const keyFile = resolve(o.keyFile);
  const envFile = o.writeEnv === undefined ? undefined : resolve(o.writeEnv);
  const existing = [keyFile, envFile].filter((f): f is string => f !== undefined && existsSync(f));
  if (existing.length > 0 && !o.force) {
    console.error(`koobridge keygen: ${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; refusing to overwrite (--force replaces, and the seller centre must then be given the new public key)`);
    return 1;
  }
  const pem = RSA.generate!();
  // The RSA key is named by its file variable: the key itself stays out of the environment.
  const variables = Object.fromEntries(KEYS.map((s) => (s === RSA ? [RSA.fileVariable!, keyFile] : [s.variable, s.generate!()])));
  writePrivate(keyFile, pem);
  if (envFile) writePrivate(envFile, `# made by koobridge keygen: keep this file private\n${envText(variables)}\n${NEEDED_TOO}`);
  const publicKey = sellerCentrePublicKey(pem);

  if (o.json) {
    console.log(JSON.stringify({ keyFile, publicKey, ...(envFile ? { envFile } : { variables }) }, null, 2));
    return 0;
  }
  const paint = paintFor();
  const lines = [
    `RSA private key (3072 bits, PKCS#8 PEM, mode 0600): ${keyFile}`,
    '',
    paint.bold('Public key for the seller centre (应用凭证 → RSA public key):'),
    publicKey,
    '',
  ];
  if (envFile) lines.push(`The other secrets, and RSA_PRIVATE_KEY_FILE, are in ${envFile} (mode 0600).`);
  else lines.push(paint.bold('Secrets for the server\'s environment (keep them private; --write-env writes them to a file):'), envText(variables));
  lines.push(paint.dim(NEEDED_TOO));
  console.log(lines.join('\n'));
  return 0;
}

function envText(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Mode 0600 on creation, and on a file that existed before (--force), whose mode writeFile keeps. */
function writePrivate(file: string, text: string): void {
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
