import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { APP, TENANT, authSync, later, tenantSync, user } from '../helpers/fixtures.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('authSync on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
    await s.kit('tenantSync', tenantSync());
  });
  afterAll(() => s.stop());

  const getUser = async (name: string) => (await s.api(`/api/v1/tenants/${TENANT}/users/${encodeURIComponent(name)}`)).body;
  const authorization = async (name: string) => (await getUser(name)).apps?.find((a: { appId: string }) => a.appId === APP);

  it('flag 1 adds users (V2 flat fields), with role and authorization', async () => {
    const answer = await s.kit('authSync', authSync([user('zhangsan01', { name: '张三', role: 'admin', employeeType: 1, workPlace: '南京' })]));
    expect(answer.resultCode).toBe('000000');
    expect(await getUser('zhangsan01')).toMatchObject({ userName: 'zhangsan01', name: '张三', orgCode: '123456789', employeeType: 1, workPlace: '南京' });
    expect(await authorization('zhangsan01')).toMatchObject({ role: 'admin', enabled: true, state: 'authorized', authorized: true });
  });

  it('accepts the V1 shape: userList as a JSON string, fields under extension', async () => {
    const v1 = JSON.stringify([
      { userName: 'lisi02', name: '李四', position: '运营经理', orgCode: '123456789', role: 'user', enable: 'true', extension: { entryDate: '2022-11-16', employeeType: '4', workPlace: '南京' } },
    ]);
    expect((await s.kit('authSync', authSync(v1))).resultCode).toBe('000000');
    expect(await getUser('lisi02')).toMatchObject({ entryDate: '2022-11-16', employeeType: 4, workPlace: '南京', position: '运营经理' });
  });

  it('flag 2 modifies a user', async () => {
    await s.kit('authSync', authSync([user('lisi02', { name: '李四四', role: 'admin' })], { flag: 2 }));
    expect((await getUser('lisi02')).name).toBe('李四四');
    expect((await authorization('lisi02')).role).toBe('admin');
  });

  it('enable "false" keeps the user but not authorized', async () => {
    await s.kit('authSync', authSync([user('lisi02', { enable: 'false' })], { flag: 2 }));
    expect(await authorization('lisi02')).toMatchObject({ enabled: false, authorized: false });
  });

  it('flag 3 cancels the authorization and keeps the user', async () => {
    await s.kit('authSync', authSync([user('zhangsan01')], { flag: 3 }));
    expect(await getUser('zhangsan01')).toMatchObject({ userName: 'zhangsan01' });
    expect(await authorization('zhangsan01')).toMatchObject({ state: 'cancelled', authorized: false });
  });

  it('flag 0 deletes the user; a repeated delete succeeds; a delete of an unknown user succeeds', async () => {
    expect((await s.kit('authSync', authSync([user('zhangsan01')], { flag: 0 }))).resultCode).toBe('000000');
    expect((await s.api(`/api/v1/tenants/${TENANT}/users/zhangsan01`)).status).toBe(404);
    expect((await s.kit('authSync', authSync([user('zhangsan01')], { flag: 0 }))).resultCode).toBe('000000');
    expect((await s.kit('authSync', authSync([user('never-seen')], { flag: 0 }))).resultCode).toBe('000000');
  });

  it('a user deleted for one app stays while another app still authorizes them', async () => {
    await s.kit('authSync', authSync([user('wang')], { appId: 'other-app' }));
    await s.kit('authSync', authSync([user('wang')]));
    await s.kit('authSync', authSync([user('wang')], { flag: 0 }));
    const wang = await getUser('wang');
    expect(wang.apps.map((a: { appId: string; state: string }) => [a.appId, a.state])).toEqual(
      expect.arrayContaining([
        [APP, 'deleted'],
        ['other-app', 'authorized'],
      ]),
    );
  });

  it('an older currentSyncTime arriving late does not undo a newer change, and is audited as stale', async () => {
    const older = authSync([user('late', { name: 'old name' })]);
    const newer = authSync([user('late', { name: 'new name' })]);
    await s.kit('authSync', newer);
    expect((await s.kit('authSync', older)).resultCode).toBe('000000');
    expect((await getUser('late')).name).toBe('new name');
    expect(await lastAudit(s.rt.db)).toMatchObject({ outcome: 'stale' });
  });

  it('a batch of 500 users is written in one call', async () => {
    const users = Array.from({ length: 500 }, (_, i) => user(`batch${String(i).padStart(3, '0')}`));
    expect((await s.kit('authSync', authSync(users))).resultCode).toBe('000000');
    expect(await rowCount(s.rt.db, 'user_apps', { app_id: APP, state: 'authorized' })).toBeGreaterThanOrEqual(500);
    const page = (await s.api(`/api/v1/tenants/${TENANT}/users?appId=${APP}&page=2&pageSize=200`)).body;
    expect(page.total).toBeGreaterThanOrEqual(500);
    expect(page.items).toHaveLength(200);
  });

  it('userNames differing only in case are different users', async () => {
    await s.kit('authSync', authSync([user('CaseUser'), user('caseuser')]));
    expect((await getUser('CaseUser')).userName).toBe('CaseUser');
    expect((await getUser('caseuser')).userName).toBe('caseuser');
  });

  it('test data (testFlag 1) is stored and marked, for a debug tenant only', async () => {
    const debugTenant = 'debug-tenant-1';
    await s.kit('tenantSync', tenantSync({ tenantId: debugTenant, testFlag: 1 }));
    await s.kit('authSync', authSync([user('tester')], { tenantId: debugTenant, testFlag: 1, currentSyncTime: later() }));
    expect((await s.api(`/api/v1/tenants/${debugTenant}/users/tester`)).body.testFlag).toBe(true);
    // The real tenant is not the seller centre's to change.
    expect((await s.kit('authSync', authSync([user('tester')], { testFlag: 1, currentSyncTime: later() }))).resultCode).toBe('000000');
    expect((await s.api(`/api/v1/tenants/${TENANT}/users/tester`)).status).toBe(404);
  });
});
