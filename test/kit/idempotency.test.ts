import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { allOrgSync, applicationSync, authSync, dept, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { directorySnapshot, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('kit idempotency on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const calls = (): [string, unknown][] => [
    ['tenantSync', tenantSync()],
    ['applicationSync', applicationSync(encryptClientSecret('idem'))],
    ['authSync', authSync([user('u1'), user('u2')])],
    ['singleOrgSync', singleOrgSync('d1', null)],
    ['allOrgSync', allOrgSync([dept('d1'), dept('d2', 'd1')])],
  ];

  it.each(calls())('replaying %s (new nonce, same body) changes zero rows and answers success', async (call, body) => {
    expect((await s.kit(call, body)).resultCode).toBe('000000');
    const before = await directorySnapshot(s.rt.db);
    expect((await s.kit(call, body)).resultCode).toBe('000000');
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
  });

  it.each(calls().map(([c, b]) => [c, { ...(b as object), tenantId: `concurrent-${c}` }] as [string, unknown]))(
    '20 concurrent identical %s calls all succeed and leave one row',
    async (call, body) => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => s.kit(call, body)));
      expect(answers.map((a) => a.resultCode)).toEqual(Array(20).fill('000000'));
      const tenant_id = `concurrent-${call}`;
      const table = { tenantSync: 'tenants', applicationSync: 'apps', authSync: 'user_apps', singleOrgSync: 'departments', allOrgSync: 'departments' }[call]!;
      const expected = { tenantSync: 1, applicationSync: 1, authSync: 2, singleOrgSync: 1, allOrgSync: 2 }[call]!;
      expect(await rowCount(s.rt.db, table, { tenant_id })).toBe(expected);
    },
  );

  // Resends that all find the department just added used to deadlock each other on MySQL, each
  // holding the row shared and wanting it exclusive: now and then one ran out of retries ("retry").
  it('round after round of 30 concurrent resends of one add all succeed', async () => {
    expect((await s.kit('tenantSync', tenantSync({ tenantId: 'resends' }))).resultCode).toBe('000000');
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      const body = singleOrgSync(`r${round}`, null, { tenantId: 'resends' });
      const answers = await Promise.all(Array.from({ length: 30 }, () => s.kit('singleOrgSync', body)));
      expect(answers.map((a) => a.resultCode)).toEqual(Array(30).fill('000000'));
    }
    expect(await rowCount(s.rt.db, 'departments', { tenant_id: 'resends' })).toBe(rounds);
  });
});
