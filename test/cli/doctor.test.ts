import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sellerCentrePublicKey } from '../../src/config/devKeys.js';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { keyEnv, testRsa } from '../helpers/keys.js';
import { jsonOf, runCli } from './run.js';

type Check = { name: string; status: string; detail: string; fix?: string };
const statuses = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

const production = (databaseUrl: string) => ({ ...keyEnv(), NODE_ENV: 'production', DATABASE_URL: databaseUrl, PUBLIC_URL: 'https://koobridge.example.com' });

/** An HTTP server whose Date header is `offsetMs` off this machine's clock. */
async function clockAt(offsetMs: number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('date', new Date(Date.now() + offsetMs).toUTCString());
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe.each(stores)('koobridge doctor on a good configuration on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  it('finds no problem, and prints the public key for the seller centre', async () => {
    const config = s.rt.config;
    const run = await runCli(['doctor', '--time-url', s.url, '--public-key', sellerCentrePublicKey(testRsa().privatePem), '--json'], production(config.databaseUrl ?? `sqlite://${config.sqliteFile}`));
    const out = jsonOf(run);
    expect(statuses(out.checks)).toEqual({ NODE_ENV: 'ok', PUBLIC_URL: 'ok', variables: 'ok', 'RSA key': 'ok', database: 'ok', clock: 'ok' });
    expect(run.code).toBe(0);
    expect(out.checks.find((c: Check) => c.name === 'RSA key').detail).toBe(`3072 bits; public key for the seller centre: ${sellerCentrePublicKey(testRsa().privatePem)}`);
    expect(out.checks.find((c: Check) => c.name === 'database').detail).toContain('reachable, every migration applied');
  });
});

describe('koobridge doctor on a bad configuration', () => {
  let dir: string;
  let behind: { server: Server; url: string };
  let right: { server: Server; url: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'koobridge-doctor-'));
    [behind, right] = await Promise.all([clockAt(-3_600_000), clockAt(0)]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const c of [behind, right]) await new Promise((resolve) => c.server.close(resolve));
  });

  it('names each bad or missing variable with what to do, and exits 1', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { API_TOKEN: _, ...keys } = keyEnv();
    const run = await runCli(['doctor'], { ...keys, RSA_PRIVATE_KEY: weak, PUBLIC_URL: 'http://koobridge.example.com' });
    expect(run.code).toBe(1);
    for (const line of [
      /^NODE_ENV +FAIL +development: the server would generate missing keys/m,
      /^API_TOKEN +FAIL +is not set; production needs it$/m,
      /^RSA_PRIVATE_KEY_FILE or RSA_PRIVATE_KEY +FAIL +must be a PKCS#8 PEM RSA private key of at least 3072 bits/m,
      /^DATABASE_URL +FAIL +is not set/m,
      /^PUBLIC_URL +FAIL +http:\/\/koobridge.example.com is not an absolute https:\/\/ URL$/m,
      /^database +skip /m,
      /^ {2}API_TOKEN: make one with `koobridge keygen`$/m,
      /^5 problem\(s\) to fix$/m,
    ]) {
      expect(run.stdout).toMatch(line);
    }
  });

  it('finds an unreachable database, a clock an hour behind and a public key that is not the registered one', async () => {
    const other = sellerCentrePublicKey(generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const run = await runCli(['doctor', '--time-url', behind.url, '--public-key', other, '--json'], production('mysql://root@127.0.0.1:1/koobridge'));
    expect(run.code).toBe(1);
    const checks: Check[] = jsonOf(run).checks;
    expect(statuses(checks)).toMatchObject({ variables: 'ok', 'RSA key': 'fail', database: 'fail', clock: 'fail' });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.database!.detail).toContain('MySQL at 127.0.0.1:1: ');
    expect(byName.clock!.detail).toMatch(/^(3599|3600)(\.\d)? s ahead of Date of http:\/\/127\.0\.0\.1:\d+\/ \(more than 5 s\)$/);
    expect(byName.clock!.fix).toContain('NTP');
    expect(byName['RSA key']!.fix).toContain('register this public key');
  });

  it('reads the env file keygen writes, and warns of a database not migrated yet, which the next start migrates', async () => {
    const file = join(dir, 'empty.sqlite');
    writeFileSync(file, '');
    const envFile = join(dir, 'production.env');
    expect((await runCli(['keygen', '--key-file', join(dir, 'key.pem'), '--write-env', envFile])).code).toBe(0);
    const run = await runCli(['doctor', '--read-env', envFile, '--time-url', right.url, '--json'], { NODE_ENV: 'production', DATABASE_URL: `sqlite://${file}`, PUBLIC_URL: 'https://koobridge.example.com' });
    expect(jsonOf(run).checks.find((c: Check) => c.name === 'variables').status).toBe('ok');
    const database = jsonOf(run).checks.find((c: Check) => c.name === 'database');
    expect(database).toMatchObject({ status: 'warn', fix: 'the server applies them when it starts, or run `npm run migrate` first' });
    expect(database.detail).toMatch(/reachable, \d+ migration\(s\) not applied/);
    expect(run.code).toBe(0);
  });
});
