import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { sellerCentrePublicKey } from '../../src/config/devKeys.js';
import { jsonOf, runCli } from './run.js';

describe('koobridge keygen', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'koobridge-keygen-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const mode = (file: string) => statSync(file).mode & 0o777;

  it('writes a key and an env file that production loads, the printed public key being the key\'s', async () => {
    const keyFile = join(dir, 'key.pem');
    const envFile = join(dir, 'production.env');
    const run = await runCli(['keygen', '--key-file', keyFile, '--write-env', envFile, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonOf(run);
    expect(out).toEqual({ keyFile, publicKey: expect.any(String), envFile });
    expect([mode(keyFile), mode(envFile)]).toEqual([0o600, 0o600]);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(readFileSync(keyFile, 'utf8')).asymmetricKeyDetails?.modulusLength).toBe(3072);

    const variables = parseEnv(readFileSync(envFile, 'utf8'));
    expect(Object.keys(variables).sort()).toEqual(['ADMIN_PASSWORD', 'API_TOKEN', 'BASIC_ACCESS_KEY', 'DATA_ENCRYPTION_KEY', 'KIT_ACCESS_KEY', 'RSA_PRIVATE_KEY_FILE']);
    const config = loadConfig({ ...variables, NODE_ENV: 'production', DATABASE_URL: `sqlite://${join(dir, 'k.sqlite')}`, PUBLIC_URL: 'https://koobridge.example.com' });
    expect(sellerCentrePublicKey(config.rsaPrivateKeyPem)).toBe(out.publicKey);
    expect(config.generatedKeys).toEqual([]);
    expect(new Set([config.kitAccessKey, config.basicAccessKey]).size).toBe(2);
  });

  it('prints the secrets when no env file is asked for', async () => {
    const run = await runCli(['keygen', '--key-file', join(dir, 'key.pem')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Public key for the seller centre');
    const lines = Object.fromEntries(run.stdout.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(lines.RSA_PRIVATE_KEY_FILE).toBe(join(dir, 'key.pem'));
    expect(Buffer.from(lines.DATA_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    expect(lines.API_TOKEN!.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    const keyFile = join(dir, 'key.pem');
    const envFile = join(dir, '.env');
    expect((await runCli(['keygen', '--key-file', keyFile, '--write-env', envFile])).code).toBe(0);
    const before = [readFileSync(keyFile, 'utf8'), readFileSync(envFile, 'utf8')];

    const refused = await runCli(['keygen', '--key-file', join(dir, 'other.pem'), '--write-env', envFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${envFile} already exists; refusing to overwrite`);
    // Nothing was written, not even the file that did not exist.
    expect(() => statSync(join(dir, 'other.pem'))).toThrow();
    expect([readFileSync(keyFile, 'utf8'), readFileSync(envFile, 'utf8')]).toEqual(before);

    expect((await runCli(['keygen', '--key-file', keyFile, '--write-env', envFile, '--force'])).code).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(before[0]);
    expect(mode(keyFile)).toBe(0o600);
  });
});
