import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { allOrgSync, applicationSync, authSync, dept, tenantSync, user } from '../helpers/fixtures.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { created, queryInstance, refreshInstance, releaseInstance, updateInstanceStatus, upgradeInstance, harness,  } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

const TABLES = ['tenants', 'apps', 'users', 'user_apps', 'departments'] as const;

describe.each(stores)('releaseInstance on %s', (store) => {
  const h = harness(store);

  /** The kit calls of a bound enterprise: tenant, app with its secret, two users, two departments. */
  const directory = async (instanceId: string) => {
    const answers = [
      await h.s.kit('tenantSync', tenantSync({ instanceId })),
      await h.s.kit('applicationSync', applicationSync(encryptClientSecret('s3cret'), { instanceId })),
      await h.s.kit('authSync', authSync([user('zhangsan01'), user('lisi02', { role: 'admin' })], { instanceId })),
      await h.s.kit('allOrgSync', allOrgSync([dept('123456789'), dept('987654321', '123456789')], { instanceId })),
    ];
    expect(answers.map((a) => a.resultCode)).toEqual(['000000', '000000', '000000', '000000']);
  };
  const rowsOf = async (instanceId: string) => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await rowCount(h.s.rt.db, t, { instance_id: instanceId })])));

  it('removes the tenants, apps and secrets, users and departments in one call, keeping other instances', async () => {
    const id = await created(h.s);
    const other = await created(h.s);
    await directory(id);
    await directory(other);
    h.changes.length = 0;

    expect(await h.s.basic(releaseInstance(id))).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await rowsOf(id)).toEqual({ tenants: 0, apps: 0, users: 0, user_apps: 0, departments: 0 });
    expect(await rowsOf(other)).toEqual({ tenants: 1, apps: 1, users: 2, user_apps: 2, departments: 2 });
    expect(h.changes).toEqual([{ type: 'instance', instanceId: id, status: 'released' }]);
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({
      outcome: 'applied',
      detail: { previous: 'active', removed: { tenants: 1, apps: 1, users: 2, user_apps: 2, departments: 2 } },
    });
    expect((await h.s.api(`/api/v1/instances/${id}`)).body).toMatchObject({ status: 'released', tenants: [] });
  });

  it('answers a repeated release with success and changes nothing', async () => {
    const id = await created(h.s);
    await h.s.basic(releaseInstance(id));
    h.changes.length = 0;
    expect((await h.s.basic(releaseInstance(id))).resultCode).toBe('000000');
    expect(h.changes).toEqual([]);
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({ outcome: 'stale', detail: { alreadyReleased: true } });
    expect(await rowCount(h.s.rt.db, 'instance_orders', { instance_id: id, kind: 'release' })).toBe(1);
  });

  it('releases a frozen instance', async () => {
    const id = await created(h.s);
    await directory(id);
    await h.s.basic(updateInstanceStatus(id, 'FREEZE'));
    expect((await h.s.basic(releaseInstance(id))).resultCode).toBe('000000');
    expect(await rowsOf(id)).toEqual({ tenants: 0, apps: 0, users: 0, user_apps: 0, departments: 0 });
  });

  it('answers a release of an instance never seen with success, leaving a tombstone and no directory data', async () => {
    expect((await h.s.basic(releaseInstance('never-seen-1'))).resultCode).toBe('000000');
    expect(await rowsOf('never-seen-1')).toEqual({ tenants: 0, apps: 0, users: 0, user_apps: 0, departments: 0 });
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({ outcome: 'applied', detail: { previous: 'never created' } });
    expect((await h.s.basic(releaseInstance('never-seen-1'))).resultCode).toBe('000000');
    expect(await lastAudit(h.s.rt.db, 'releaseInstance')).toMatchObject({ outcome: 'stale' });
  });

  it('lets a kit call after the release change nothing and answer success', async () => {
    const id = await created(h.s);
    await directory(id);
    await h.s.basic(releaseInstance(id));
    h.changes.length = 0;
    await directory(id);
    expect(await rowsOf(id)).toEqual({ tenants: 0, apps: 0, users: 0, user_apps: 0, departments: 0 });
    expect(h.changes).toEqual([]);
    expect(await lastAudit(h.s.rt.db, 'tenantSync')).toMatchObject({ outcome: 'stale', instance_id: id, detail: { instanceReleased: true } });
  });

  it('makes the instance unknown to refresh, status, upgrade (000003) and queryInstance (000003)', async () => {
    const id = await created(h.s);
    await h.s.basic(releaseInstance(id));
    expect((await h.s.basic(refreshInstance(id))).resultCode).toBe('000003');
    expect((await h.s.basic(updateInstanceStatus(id, 'UNFREEZE'))).resultCode).toBe('000003');
    expect((await h.s.basic(upgradeInstance(id))).resultCode).toBe('000003');
    expect((await h.s.basic(queryInstance(id))).resultCode).toBe('000003');
    expect((await h.s.api(`/api/v1/instances/${id}`)).body.status).toBe('released');
  });

  it('records the unsubscribe order a release carries', async () => {
    const id = await created(h.s);
    await h.s.basic(releaseInstance(id, { orderId: 'CS-UNSUB-1', orderLineId: 'CS-UNSUB-1-000001' }));
    expect((await h.s.api(`/api/v1/instances/${id}`)).body.orders).toMatchObject([
      { kind: 'new' },
      { kind: 'release', orderId: 'CS-UNSUB-1', orderLineId: 'CS-UNSUB-1-000001' },
    ]);
  });

  it('keeps the kit data of the credential application (empty instanceId) out of reach: releasing "" is refused', async () => {
    expect(await h.s.basic(releaseInstance(''))).toEqual({ resultCode: '000002', resultMsg: 'instanceId: must not be empty' });
  });

  it('answers a newInstance replay of a released instance’s order with the same instanceId, still released', async () => {
    const body = { activity: 'newInstance', orderId: 'CS-REPLAY', orderLineId: 'CS-REPLAY-1', businessId: 'replayed-instance' };
    await h.s.basic(body);
    await h.s.basic(releaseInstance('replayed-instance'));
    expect(await h.s.basic({ ...body, businessId: 'other' })).toMatchObject({ resultCode: '000000', instanceId: 'replayed-instance' });
    expect((await h.s.api('/api/v1/instances/replayed-instance')).body.status).toBe('released');
  });
});
