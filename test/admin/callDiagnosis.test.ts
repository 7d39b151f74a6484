import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, nonce, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync, TENANT } from '../helpers/fixtures.js';
import { auditCounts, latestFailures, listAudit } from '../../src/store/audit.js';

const fingerprint = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 8);

describe.each(stores)('what the audit log tells about a refused call on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const newest = async () => (await listAudit(s.rt.db, {}, 1)).items[0]!;

  it('a call signed with the basic key: both forms tried, fingerprints of the configured keys, never a key', async () => {
    expect((await s.kit('tenantSync', tenantSync(), { key: TEST_KEYS.basic })).resultCode).not.toBe('000000');
    const row = await newest();
    expect(row.outcome).toBe('rejected');
    expect(row.detail).toMatchObject({ formsTried: ['raw', 'canonical'], keyFingerprints: { 'kit/current': fingerprint(TEST_KEYS.kit), 'basic/current': fingerprint(TEST_KEYS.basic) } });
    expect(typeof row.detail!.skewSeconds).toBe('number');
    const text = JSON.stringify(row);
    for (const key of [TEST_KEYS.kit, TEST_KEYS.basic]) expect(text).not.toContain(key);
  });

  it('a call sent 20 minutes late: its skew in seconds', async () => {
    const timestamp = String(Date.now() - 1_200_000);
    expect((await s.kit('tenantSync', tenantSync(), { timestamp })).resultCode).toBe('000002');
    const skew = (await newest()).detail!.skewSeconds as number;
    expect(skew).toBeGreaterThanOrEqual(1199);
    expect(skew).toBeLessThanOrEqual(1202);
  });

  it('a different request with a spent nonce: nonceReused', async () => {
    const n = nonce();
    expect((await s.kit('tenantSync', tenantSync(), { nonce: n })).resultCode).toBe('000000');
    expect((await s.kit('tenantSync', tenantSync({ name: 'Other' }), { nonce: n })).resultCode).not.toBe('000000');
    expect((await newest()).detail).toMatchObject({ nonceReused: true });
  });

  it('pages newest first by cursor, filters, counts and failures', async () => {
    const all = await listAudit(s.rt.db, {}, 100);
    const first = await listAudit(s.rt.db, {}, 2);
    const second = await listAudit(s.rt.db, {}, 2, first.next);
    expect([...first.items, ...second.items].map((r) => r.id)).toEqual(all.items.slice(0, 4).map((r) => r.id));
    expect((await listAudit(s.rt.db, { tenantId: TENANT, resultCode: '000000' }, 100)).items.every((r) => r.tenantId === TENANT && r.resultCode === '000000')).toBe(true);
    expect((await listAudit(s.rt.db, { since: Date.now() + 60_000 }, 100)).items).toEqual([]);
    const counts = await auditCounts(s.rt.db, Date.now() - 86_400_000);
    expect(counts.find((c) => c.callName === 'tenantSync' && c.resultCode === '000000')?.calls).toBeGreaterThanOrEqual(1);
    expect((await latestFailures(s.rt.db, 10)).length).toBeGreaterThanOrEqual(3);
  });
});
