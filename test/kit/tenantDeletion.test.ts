import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../src/store/migrate.js';
import { databaseBefore } from '../helpers/migrations.js';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { allOrgSync, applicationSync, authSync, dept, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { directorySnapshot, lastAudit } from '../helpers/snapshot.js';

/** A tenant's deletion ends everything under it, whatever order the calls arrive in. */
describe.each(stores)('a deleted tenant on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const ok = async (call: string, body: unknown) => expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
  /** What the directory API shows of the tenant: its apps, users and departments. */
  const shown = async (tenantId: string) => ({
    apps: (await s.api(`/api/v1/tenants/${tenantId}`)).body.apps.map((a: { appId: string }) => a.appId),
    users: (await s.api(`/api/v1/tenants/${tenantId}/users`)).body.total,
    departments: (await s.api(`/api/v1/tenants/${tenantId}/departments`)).body.total,
  });

  /** Calls under the tenant, each with a time older than whatever is synced after it is made. */
  const childCalls = (tenantId: string): [string, unknown][] => [
    ['applicationSync', applicationSync(encryptClientSecret('old-secret'), { tenantId, appId: 'old-app' })],
    ['authSync', authSync([user('old-user')], { tenantId })],
    ['singleOrgSync', singleOrgSync('old-dept', null, { tenantId })],
    ['allOrgSync', allOrgSync([dept('old-a'), dept('old-b', 'old-a')], { tenantId })],
  ];

  it.each(childCalls('late').map(([call]) => call))('%s older than the deletion, arriving after it, changes nothing and is audited stale', async (call) => {
    const tenantId = `late-${call}`;
    const [, old] = childCalls(tenantId).find(([c]) => c === call)!;
    await ok('tenantSync', tenantSync({ tenantId }));
    await ok('tenantSync', tenantSync({ tenantId, flag: 0 }));
    const before = await directorySnapshot(s.rt.db);
    expect(await s.kit(call, old)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
    expect(await lastAudit(s.rt.db)).toMatchObject({ call_name: call, outcome: 'stale', tenant_id: tenantId });
  });

  it('a tenant added again starts empty: apps, users, authorizations and departments from before do not come back', async () => {
    const tenantId = 'readded';
    await ok('tenantSync', tenantSync({ tenantId }));
    for (const [call, body] of childCalls(tenantId)) await ok(call, body);
    // The full sync came last: it replaced the single department.
    expect(await shown(tenantId)).toEqual({ apps: ['old-app'], users: 1, departments: 2 });
    await ok('tenantSync', tenantSync({ tenantId, flag: 0 }));
    await ok('tenantSync', tenantSync({ tenantId }));
    expect(await shown(tenantId)).toEqual({ apps: [], users: 0, departments: 0 });
    expect((await s.api(`/api/v1/tenants/${tenantId}/users/old-user`)).status).toBe(404);
  });

  it('a call older than the deletion that arrives after the re-add still changes nothing', async () => {
    const tenantId = 'late-after-readd';
    const old = childCalls(tenantId);
    await ok('tenantSync', tenantSync({ tenantId }));
    await ok('tenantSync', tenantSync({ tenantId, flag: 0 }));
    await ok('tenantSync', tenantSync({ tenantId }));
    for (const [call, body] of old) await ok(call, body);
    expect(await shown(tenantId)).toEqual({ apps: [], users: 0, departments: 0 });
  });

  it('a deletion overtaken by the re-add still ends what was written before it, and only that', async () => {
    const tenantId = 'overtaken';
    await ok('tenantSync', tenantSync({ tenantId }));
    for (const [call, body] of childCalls(tenantId)) await ok(call, body);
    const deletion = tenantSync({ tenantId, flag: 0 });
    await ok('tenantSync', tenantSync({ tenantId, name: 're-added' }));
    await ok('applicationSync', applicationSync(encryptClientSecret('new-secret'), { tenantId, appId: 'new-app' }));
    await ok('authSync', authSync([user('new-user')], { tenantId, appId: 'new-app' }));
    await ok('tenantSync', deletion);
    expect(await shown(tenantId)).toEqual({ apps: ['new-app'], users: 1, departments: 0 });
    expect((await s.api(`/api/v1/tenants/${tenantId}`)).body.name).toBe('re-added');
  });
});

describe.each(stores)('tenants deleted before the upgrade on %s', (store) => {
  const key = { instance_id: 'i1', tenant_id: 'deleted-earlier' };
  const stamp = (source_ts: string) => ({ ...key, source_ts, created_at: 0 });

  it('no longer keep live users, authorizations, departments or secrets under them; what came after the deletion stays', async () => {
    const { db, close } = await databaseBefore(store, '20261202_009_tenant_deletions');
    try {
      await db('tenants').insert({ ...stamp('20260301000000000'), tenant_code: 'c', name: 'n', domain_name: 'https://idp.example', deleted: 1 });
      await db('apps').insert({ ...stamp('20260201000000000'), app_id: 'a1', client_id: 'id', client_secret: 'sealed', deleted: 0 });
      await db('users').insert([
        { ...stamp('20260201000000000'), user_name: 'before', name: 'B', org_code: 'o', deleted: 0 },
        { ...stamp('20260401000000000'), user_name: 'after', name: 'A', org_code: 'o', deleted: 0 },
      ]);
      await db('user_apps').insert({ ...stamp('20260201000000000'), app_id: 'a1', user_name: 'before', role: 'user', enabled: 1, state: 'authorized' });
      await db('departments').insert({ ...stamp('20260201000000000'), org_code: 'd1', org_name: 'D', deleted: 0 });

      await migrateLatest(db);
      expect(await db('tenants').where(key).first('deleted_ts')).toEqual({ deleted_ts: '20260301000000000' });
      const app = await db('apps').where(key).first();
      expect([Boolean(app.deleted), app.client_secret]).toEqual([true, null]);
      expect((await db('users').where(key).orderBy('user_name').select('user_name', 'deleted')).map((u) => [u.user_name, Boolean(u.deleted)])).toEqual([
        ['after', false],
        ['before', true],
      ]);
      expect(await db('user_apps').where(key).pluck('state')).toEqual(['deleted']);
      expect(Boolean((await db('departments').where(key).first('deleted')).deleted)).toBe(true);
    } finally {
      await close();
    }
  });
});
