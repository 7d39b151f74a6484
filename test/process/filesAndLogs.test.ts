import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, spawnChild, type ChildServer } from '../helpers/child.js';
import { later, tenantSync } from '../helpers/fixtures.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the embedded store\'s files', () => {
  let s: TestServer;
  afterAll(() => s?.stop());

  it('are readable by the server\'s user alone: folder 0700, database, WAL and shared-memory files 0600', async () => {
    s = await startTestServer('sqlite', {});
    const dir = join(s.rt.config.dataDir, 'store');
    await s.stop();
    s = await startTestServer('sqlite', { DATABASE_URL: `sqlite://${join(dir, 'koobridge.sqlite')}` });
    expect((await s.kit('tenantSync', tenantSync({ timeStamp: later() }))).resultCode).toBe('000000');
    expect(mode(dir)).toBe(0o700);
    for (const file of ['koobridge.sqlite', 'koobridge.sqlite-wal', 'koobridge.sqlite-shm']) expect(mode(join(dir, file)), file).toBe(0o600);
  });
});

describe.each(stores)('the log line of a marketplace call on %s', (store) => {
  let s: TestServer;
  const lines: string[] = [];
  afterAll(() => s.stop());

  it('carries the call, its answer, outcome, instance, tenant and duration, never its body', async () => {
    s = await startTestServer(store, { LOG_LEVEL: 'info' }, undefined, { logLines: lines });
    await s.kit('tenantSync', tenantSync({ name: 'Secretive Corp', timeStamp: later() }));
    await s.kit('tenantSync', { ...tenantSync({ timeStamp: later() }), flag: 7 });
    const calls = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'marketplace call');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ channel: 'kit', call: 'tenantSync', resultCode: '000000', resultMsg: 'Success', outcome: 'applied', status: 200 });
    expect(calls[0].instanceId).toEqual(expect.any(String));
    expect(calls[0].tenantId).toEqual(expect.any(String));
    expect(calls[0].durationMs).toEqual(expect.any(Number));
    expect(calls[1]).toMatchObject({ call: 'tenantSync', resultCode: '000002', outcome: 'rejected' });
    expect(calls[1].resultMsg).toMatch(/^flag/);
    expect(lines.join('\n')).not.toContain('Secretive Corp');
  });
});

describe('the start in production', () => {
  let child: ChildServer | undefined;
  let fresh: FreshStore | undefined;
  afterEach(async () => {
    child?.proc.kill('SIGKILL');
    await child?.exited;
    await fresh?.drop();
  });

  it('writes only JSON lines to stdout, the addresses to register among their fields', async () => {
    fresh = await freshStore('sqlite');
    child = spawnChild(childEnv({ NODE_ENV: 'staging', PUBLIC_URL: 'https://bridge.example.com', DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh) }));
    await child.listening();
    const out = child.output().trim().split('\n');
    for (const line of out) expect(() => JSON.parse(line), line).not.toThrow();
    const banner = out.map((l) => JSON.parse(l)).find((l) => /^koobridge listening on/.test(l.msg));
    expect(banner).toMatchObject({ productionAddress: 'https://bridge.example.com/koogallery', callbackUrl: 'https://bridge.example.com/sso/callback' });
    expect(banner.rsaPublicKey).toMatch(/^MII/);
  });
});
