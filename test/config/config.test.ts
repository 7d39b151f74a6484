import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { TEST_KEYS, testRsa } from '../helpers/keys.js';

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every key production needs, but the RSA key and PUBLIC_URL, which the tests vary. */
const productionKeys = {
  NODE_ENV: 'production',
  DATABASE_URL: 'mysql://koobridge@db.example.com:3306/koobridge',
  KIT_ACCESS_KEY: TEST_KEYS.kit,
  BASIC_ACCESS_KEY: TEST_KEYS.basic,
  API_TOKEN: TEST_KEYS.apiToken,
  DATA_ENCRYPTION_KEY: TEST_KEYS.dataEncryptionKey,
};

describe('configuration', () => {
  it('in production, refuses to start without keys and names every missing variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(
      /KIT_ACCESS_KEY, BASIC_ACCESS_KEY, RSA_PRIVATE_KEY_FILE or RSA_PRIVATE_KEY, DATA_ENCRYPTION_KEY, API_TOKEN/,
    );
  });

  it('in development, generates missing keys once, keeps them under data/ and reuses them', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.generatedKeys.map((k) => k.variable).sort()).toEqual(
      ['ADMIN_PASSWORD', 'API_TOKEN', 'BASIC_ACCESS_KEY', 'DATA_ENCRYPTION_KEY', 'KIT_ACCESS_KEY', 'RSA_PRIVATE_KEY_FILE'].sort(),
    );
    expect(first.generatedKeys.find((k) => k.variable === 'RSA_PRIVATE_KEY_FILE')!.display).toMatch(/^public key for the seller centre: MII[A-Za-z0-9+/=]+$/);
    expect(statSync(join(dir, 'dev-keys.json')).mode & 0o077).toBe(0);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.generatedKeys).toEqual([]);
    expect(second.kitAccessKey).toBe(first.kitAccessKey);
    expect(second.rsaPrivateKeyPem).toBe(first.rsaPrivateKeyPem);
    const stored = JSON.parse(readFileSync(join(dir, 'dev-keys.json'), 'utf8'));
    // Named as the environment variables, so a value is copied into the environment as it stands.
    expect(Object.keys(stored).sort()).toEqual(['ADMIN_PASSWORD', 'API_TOKEN', 'BASIC_ACCESS_KEY', 'DATA_ENCRYPTION_KEY', 'KIT_ACCESS_KEY', 'RSA_PRIVATE_KEY']);
    expect([stored.API_TOKEN]).toEqual(first.apiToken);
  });

  it('keeps the keys of a dev-keys.json written with the config field names, and renames them', () => {
    const dir = tmp();
    const rsa = testRsa().privatePem;
    const old = { kitAccessKey: TEST_KEYS.kit, basicAccessKey: TEST_KEYS.basic, rsaPrivateKeyPem: rsa, dataEncryptionKey: TEST_KEYS.dataEncryptionKey, apiToken: TEST_KEYS.apiToken };
    writeFileSync(join(dir, 'dev-keys.json'), JSON.stringify(old), { mode: 0o600 });
    const config = loadConfig({ DATA_DIR: dir });
    // The admin password came after the field names: it is new, made now.
    expect(config.generatedKeys.map((k) => k.variable)).toEqual(['ADMIN_PASSWORD']);
    expect([config.kitAccessKey, config.basicAccessKey, config.rsaPrivateKeyPem, config.apiToken]).toEqual([TEST_KEYS.kit, TEST_KEYS.basic, rsa, [TEST_KEYS.apiToken]]);
    expect(JSON.parse(readFileSync(join(dir, 'dev-keys.json'), 'utf8'))).toEqual({
      ADMIN_PASSWORD: config.adminPassword,
      KIT_ACCESS_KEY: TEST_KEYS.kit,
      BASIC_ACCESS_KEY: TEST_KEYS.basic,
      RSA_PRIVATE_KEY: rsa,
      DATA_ENCRYPTION_KEY: TEST_KEYS.dataEncryptionKey,
      API_TOKEN: TEST_KEYS.apiToken,
    });
  });

  it('reads ORG_SYNC_DELETE_LIMIT as a share with a floor, a number of departments, or 0 for off', () => {
    const dir = tmp();
    const limit = (value?: string) => loadConfig({ DATA_DIR: dir, ...(value === undefined ? {} : { ORG_SYNC_DELETE_LIMIT: value }) }).orgSyncDeleteLimit;
    expect(limit()).toEqual({ percent: 20, count: 10, text: '20%' });
    expect(limit('12.5%,50')).toEqual({ percent: 12.5, count: 50, text: '12.5%,50' });
    expect(limit('500')).toEqual({ percent: null, count: 500, text: '500' });
    expect(limit('0')).toBeNull();
    for (const bad of ['120%', '-5', 'many', '20 %']) {
      expect(() => limit(bad), bad).toThrow(/ORG_SYNC_DELETE_LIMIT: must be a percentage like 20%/);
    }
  });

  it('refuses an RSA key shorter than 3072 bits', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const env = { ...productionKeys, PUBLIC_URL: 'https://bridge.example.com' };
    expect(() => loadConfig({ ...env, RSA_PRIVATE_KEY: weak })).toThrow(/RSA_PRIVATE_KEY_FILE or RSA_PRIVATE_KEY: must be a PKCS#8 PEM RSA private key of at least 3072 bits/);
    expect(loadConfig({ ...env, RSA_PRIVATE_KEY: testRsa().privatePem }).nodeEnv).toBe('production');
  });

  it('in production, needs PUBLIC_URL as an absolute https:// URL; elsewhere it defaults to localhost', () => {
    const env = { ...productionKeys, RSA_PRIVATE_KEY: testRsa().privatePem };
    expect(() => loadConfig(env)).toThrow(/needs PUBLIC_URL/);
    expect(() => loadConfig({ ...env, PUBLIC_URL: 'http://bridge.example.com' })).toThrow(/needs PUBLIC_URL/);
    expect(() => loadConfig({ ...env, PUBLIC_URL: 'bridge.example.com' })).toThrow(/PUBLIC_URL/);
    expect(loadConfig({ ...env, PUBLIC_URL: 'https://bridge.example.com/' }).publicUrl).toBe('https://bridge.example.com');
    expect(loadConfig({ DATA_DIR: tmp(), PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(() => loadConfig({ DATA_DIR: tmp(), TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });

  it('in production, needs DATABASE_URL; sqlite:// and a path chooses the embedded store knowingly', () => {
    const env = { ...productionKeys, RSA_PRIVATE_KEY: testRsa().privatePem, PUBLIC_URL: 'https://bridge.example.com' };
    expect(() => loadConfig({ ...env, DATABASE_URL: undefined })).toThrow(
      'NODE_ENV=production runs as production and needs DATABASE_URL: mysql://user:pass@host:3306/database, or sqlite:///path/to/koobridge.sqlite to choose the embedded SQLite store',
    );
    expect(loadConfig(env).databaseUrl).toBe('mysql://koobridge@db.example.com:3306/koobridge');
    const dir = tmp();
    const embedded = loadConfig({ ...env, DATABASE_URL: `sqlite://${dir}/bridge.sqlite` });
    expect(embedded.databaseUrl).toBeUndefined();
    expect(embedded.sqliteFile).toBe(join(dir, 'bridge.sqlite'));
    expect(() => loadConfig({ ...env, DATABASE_URL: 'postgres://db.example.com/koobridge' })).toThrow(/DATABASE_URL: must be a mysql:\/\/ URL, or sqlite:\/\/ followed by a file path/);
    // Outside production the embedded store stays the default, in DATA_DIR.
    expect(loadConfig({ DATA_DIR: dir }).sqliteFile).toBe(join(dir, 'koobridge.sqlite'));
  });

  it('generates keys only for development and test: any other NODE_ENV runs as production', () => {
    for (const nodeEnv of ['staging', 'prod', 'Production', 'dev']) {
      const dir = tmp();
      expect(() => loadConfig({ NODE_ENV: nodeEnv, DATA_DIR: dir }), nodeEnv).toThrow(new RegExp(`^NODE_ENV=${nodeEnv} runs as production and needs KIT_ACCESS_KEY`));
      expect(() => statSync(join(dir, 'dev-keys.json')), nodeEnv).toThrow();
    }
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: tmp() }).generatedKeys).toHaveLength(6);
    // An empty NODE_ENV is an unset one: development.
    expect(loadConfig({ NODE_ENV: '', DATA_DIR: tmp() }).nodeEnv).toBe('development');
  });

  it('takes an empty variable as empty where the setting is text that may be empty, and as unset elsewhere', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir, MARKETPLACE_BASE_PATH: '', INSTANCE_MEMO: '', PORT: '', SIGNATURE_WINDOW_SECONDS: '', ACCEPT_CANONICAL_PAYLOAD: '', HOST: '' });
    expect(config.marketplaceBasePath).toBe('');
    expect(config.instanceMemo).toBe('');
    expect(config.port).toBe(3000);
    expect(config.signatureWindowSeconds).toBe(60);
    expect(config.acceptCanonicalPayload).toBe(true);
    expect(config.host).toBe('0.0.0.0');
    expect(loadConfig({ DATA_DIR: dir }).marketplaceBasePath).toBe('/koogallery');
  });

  it('reads a PEM key written on one line with \\n escapes, as .env files hold it', () => {
    const pem = testRsa().privatePem;
    const oneLine = pem.trimEnd().split('\n').join('\\n');
    expect(oneLine).not.toContain('\n');
    expect(loadConfig({ DATA_DIR: tmp(), RSA_PRIVATE_KEY: oneLine }).rsaPrivateKeyPem.trim()).toBe(pem.trim());
  });

  it('refuses to start when a key is given both in its variable and in a file, rather than pick one', () => {
    const dir = tmp();
    const file = join(dir, 'key.pem');
    writeFileSync(file, testRsa().privatePem);
    expect(() => loadConfig({ DATA_DIR: dir, RSA_PRIVATE_KEY: testRsa().privatePem, RSA_PRIVATE_KEY_FILE: file })).toThrow(
      'RSA_PRIVATE_KEY and RSA_PRIVATE_KEY_FILE are both set; set one of them',
    );
    expect(loadConfig({ DATA_DIR: dir, RSA_PRIVATE_KEY: '', RSA_PRIVATE_KEY_FILE: file }).rsaPrivateKeyPem).toBe(testRsa().privatePem);
  });

  it('refuses a DATA_ENCRYPTION_KEY that is not 32 bytes', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), DATA_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/DATA_ENCRYPTION_KEY: key 1 of 1: must be one or more 32-byte base64 keys/);
  });
});
