import { describe, expect, it } from 'vitest';
import { migrateLatest } from '../../src/store/migrate.js';
import { databaseBefore } from '../helpers/migrations.js';
import { stores } from '../helpers/stores.js';
import { TENANT, INSTANCE, allOrgSync, applicationSync, authSync, dept, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { directorySnapshot } from '../helpers/snapshot.js';
import { created, harness, queryInstance, refreshInstance, releaseInstance, updateInstanceStatus, upgradeInstance } from './bodies.js';
import { lastAudit } from '../helpers/snapshot.js';
import type { TestServer } from '../helpers/server.js';

type Call = { channel: 'basic' } | { channel: 'kit'; call: string };
type SavedCase = Call & { body: string };

/**
 * The seller centre's saved debug cases (spec §8.3 values, testFlag 1), as dial-testing replays them
 * twice a day forever (spec §7.8): the same bodies every time, signed afresh. The lifecycle first,
 * up to the release, then the kit calls for the same instance.
 */
function savedCases(instanceId: string, tenantId: string): SavedCase[] {
  const debug = { testFlag: '1' };
  const kitDebug = { instanceId, tenantId, testFlag: 1 };
  const basic = (body: object): SavedCase => ({ channel: 'basic', body: JSON.stringify(body) });
  const kit = (call: string, body: object): SavedCase => ({ channel: 'kit', call, body: JSON.stringify(body) });
  return [
    basic({ activity: 'newInstance', businessId: instanceId, orderId: 'CS2211181819B4LVS', orderLineId: 'CS2211181819B4LVS-000001', ...debug }),
    basic(queryInstance(instanceId, debug)),
    basic(refreshInstance(instanceId, { orderId: 'CS1906666666ABCDE', orderLineId: 'CS1906666666ABCDE-000001', expireTime: '20301231160000', ...debug })),
    basic(upgradeInstance(instanceId, { orderId: 'CS1906666666ABCDF', orderLineId: 'CS1906666666ABCDF-000001', ...debug })),
    basic(updateInstanceStatus(instanceId, 'FREEZE', debug)),
    basic(updateInstanceStatus(instanceId, 'UNFREEZE', debug)),
    basic({ activity: 'updateInstanceStatus', instanceId: '10e758d0-31ad-4c4b-8f1b-81d03469a10e', status: 'FREEZE', testFlag: '1' }),
    basic(releaseInstance(instanceId, debug)),
    basic(queryInstance(instanceId, debug)),
    kit('tenantSync', tenantSync({ ...kitDebug, orderId: 'CS1906666666ABCDE', tenantCode: 'example.com', name: 'huaweitenantname', timeStamp: '20220726105223104' })),
    kit('applicationSync', applicationSync(encryptClientSecret('typed-on-the-debug-page'), { ...kitDebug, timeStamp: '20220726105224000' })),
    kit('authSync', authSync([user('zhangsan01', { name: '张三', role: 'admin' })], { ...kitDebug, currentSyncTime: '20220726105225000', timeStamp: '20220726105225000' })),
    kit('allOrgSync', allOrgSync([dept('123456789'), dept('987654321', '123456789')], { ...kitDebug, timeStamp: '20220726105226000' })),
    kit('singleOrgSync', singleOrgSync('555555555', '123456789', { ...kitDebug, timeStamp: '20220726105227000' })),
    kit('tenantSync', tenantSync({ ...kitDebug, flag: 2, name: 'huaweitenantname2', timeStamp: '20220726105228000' })),
  ];
}

async function replay(s: TestServer, cases: SavedCase[]) {
  const answers = [];
  for (const c of cases) answers.push(c.channel === 'basic' ? await s.basic(c.body) : await s.kit(c.call, c.body));
  return answers;
}

/** What the merchant's application reads of the tenant and the instance. */
async function directoryOf(s: TestServer, instanceId: string, tenantId: string) {
  const q = `?instanceId=${encodeURIComponent(instanceId)}`;
  const [tenant, users, departments, instance] = await Promise.all([
    s.api(`/api/v1/tenants/${tenantId}${q}`),
    s.api(`/api/v1/tenants/${tenantId}/users${q}`),
    s.api(`/api/v1/tenants/${tenantId}/departments${q}`),
    s.api(`/api/v1/instances/${instanceId}`),
  ]);
  return { tenant, users, departments, instance };
}

describe.each(stores)("the seller centre's saved debug cases on %s", (store) => {
  const h = harness(store);

  it('replayed three times give the same answers and the same directory as the first run', async () => {
    const cases = savedCases(INSTANCE, TENANT);
    const first = await replay(h.s, cases);
    expect(first.every((a) => a.resultCode === '000000'), JSON.stringify(first)).toBe(true);
    const afterFirst = await directoryOf(h.s, INSTANCE, TENANT);
    // The kit calls after the release wrote the debug directory.
    expect(afterFirst.tenant).toMatchObject({ status: 200, body: { name: 'huaweitenantname2', testFlag: true } });
    expect(afterFirst.users.body.items.map((u: { userName: string }) => u.userName)).toEqual(['zhangsan01']);
    expect(afterFirst.departments.body.items.map((d: { orgCode: string }) => d.orgCode)).toEqual(['123456789', '555555555', '987654321']);

    for (let run = 2; run <= 3; run++) {
      expect(await replay(h.s, cases)).toEqual(first);
      expect(await directoryOf(h.s, INSTANCE, TENANT)).toEqual(afterFirst);
    }
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({ outcome: 'applied', detail: { debugRelease: expect.any(String), removed: { tenants: 1, users: 1, departments: 3 } } });
  });

  it('never change a real instance or a real tenant whose ids the seller typed into them', async () => {
    // A real order and its directory, and a real tenant under an instance no newInstance created.
    const real = await created(h.s);
    for (const instanceId of [real, 'kit-only-real']) {
      await h.s.kit('tenantSync', tenantSync({ instanceId, name: 'real tenant' }));
      await h.s.kit('applicationSync', applicationSync(encryptClientSecret('real-secret'), { instanceId }));
      await h.s.kit('authSync', authSync([user('realuser')], { instanceId }));
      await h.s.kit('allOrgSync', allOrgSync([dept('123456789'), dept('REAL-1', '123456789')], { instanceId }));
    }
    const before = await directorySnapshot(h.s.rt.db);
    const realInstance = (await h.s.api(`/api/v1/instances/${real}`)).body;
    h.changes.length = 0;

    for (const instanceId of [real, 'kit-only-real']) {
      const cases = savedCases(instanceId, TENANT);
      const answers = await replay(h.s, [...cases, { channel: 'kit', call: 'tenantSync', body: JSON.stringify(tenantSync({ instanceId, flag: 0, testFlag: 1 })) }]);
      expect(answers.every((a) => a.resultCode === '000000'), JSON.stringify(answers)).toBe(true);
    }
    expect(await directorySnapshot(h.s.rt.db)).toEqual(before);
    expect((await h.s.api(`/api/v1/instances/${real}`)).body).toEqual(realInstance);
    expect(h.changes).toEqual([]);
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({ outcome: 'applied', detail: { removed: { tenants: 0, users: 0 } } });
    expect(await lastAudit(h.s.rt.db, 'tenantSync')).toMatchObject({ outcome: 'stale', detail: { debugRequest: 'the tenant is real data; nothing changed' } });
  });

  it('a real release of a debug instance still leaves its tombstone', async () => {
    const id = await created(h.s, { testFlag: '1' });
    await h.s.basic(releaseInstance(id));
    expect((await h.s.api(`/api/v1/instances/${id}`)).body.status).toBe('released');
    expect((await h.s.kit('tenantSync', tenantSync({ instanceId: id, testFlag: 1 }))).resultCode).toBe('000000');
    expect(await lastAudit(h.s.rt.db, 'tenantSync')).toMatchObject({ outcome: 'stale', detail: { instanceReleased: true } });
  });
});

describe.each(stores)('debug releases recorded before the upgrade on %s', (store) => {
  it('no longer silence the saved debug cases; real releases keep their tombstone', async () => {
    const { db, close } = await databaseBefore(store, '20261203_012_lifecycle_replays');
    try {
      const released = (instance_id: string, test_flag: number) => ({ instance_id, status: 'released', test_flag, created_at: 0, updated_at: 0 });
      await db('instances').insert([released(INSTANCE, 1), released('real-released', 0)]);
      const order = (instance_id: string, test_flag: number) => ({ instance_id, kind: 'release', order_id: '', order_line_id: '', test_flag, created_at: 0 });
      await db('instance_orders').insert([order(INSTANCE, 1), order('real-released', 0)]);

      await migrateLatest(db);
      expect(await db('instances').orderBy('instance_id').pluck('instance_id')).toEqual(['real-released']);
      expect(await db('instance_orders').pluck('instance_id')).toEqual(['real-released']);
    } finally {
      await close();
    }
  });
});
