import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, authSync, dept, tenantSync, user } from '../helpers/fixtures.js';

describe.each(stores)('directory API on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
    await s.kit('tenantSync', tenantSync({ instanceId: 'inst-a', name: 'A' }));
    await s.kit('tenantSync', tenantSync({ instanceId: 'inst-b', name: 'B' }));
    await s.kit('tenantSync', tenantSync({ instanceId: 'inst-a', tenantId: 'second-tenant', name: 'Second' }));
    await s.kit('authSync', authSync([user('alice')], { instanceId: 'inst-a' }));
    const tree = [dept('root'), dept('a', 'root'), dept('b', 'root'), dept('a2', 'a'), dept('a1', 'a'), dept('orphan', 'not-synced')];
    await s.kit('allOrgSync', allOrgSync(tree, { instanceId: 'inst-a' }));
  });
  afterAll(() => s.stop());

  it('refuses requests without the bearer token', async () => {
    expect((await s.api('/api/v1/tenants', 'wrong-token')).status).toBe(401);
    const res = await fetch(`${s.url}/api/v1/tenants`);
    expect(res.status).toBe(401);
  });

  it('lists tenants with pagination', async () => {
    const first = (await s.api('/api/v1/tenants?pageSize=2')).body;
    expect(first).toMatchObject({ page: 1, pageSize: 2, total: 3 });
    expect(first.items).toHaveLength(2);
    const second = (await s.api('/api/v1/tenants?pageSize=2&page=2')).body;
    expect(second.items).toHaveLength(1);
    expect((await s.api('/api/v1/tenants?pageSize=0')).status).toBe(400);
  });

  it('picks the instance with ?instanceId when a tenant has several', async () => {
    expect((await s.api(`/api/v1/tenants/${TENANT}?instanceId=inst-a`)).body).toMatchObject({ name: 'A', instances: ['inst-a', 'inst-b'] });
    expect((await s.api(`/api/v1/tenants/${TENANT}?instanceId=inst-b`)).body.name).toBe('B');
    // Without it, the most recently synced instance.
    expect((await s.api(`/api/v1/tenants/${TENANT}`)).body.name).toBe('B');
  });

  it('answers 404 for unknown tenants and users', async () => {
    expect((await s.api('/api/v1/tenants/nobody')).status).toBe(404);
    expect((await s.api(`/api/v1/tenants/${TENANT}/users/nobody?instanceId=inst-a`)).status).toBe(404);
  });

  it('reads users of the chosen instance only', async () => {
    expect((await s.api(`/api/v1/tenants/${TENANT}/users?instanceId=inst-a`)).body.items.map((u: { userName: string }) => u.userName)).toEqual(['alice']);
    expect((await s.api(`/api/v1/tenants/${TENANT}/users?instanceId=inst-b`)).body.items).toEqual([]);
  });

  it('lists departments in pages, in org_code order, each with its full path', async () => {
    const departments = `/api/v1/tenants/${TENANT}/departments?instanceId=inst-a`;
    const first = (await s.api(`${departments}&pageSize=4`)).body;
    expect(first).toMatchObject({ instanceId: 'inst-a', tenantId: TENANT, page: 1, pageSize: 4, total: 6 });
    expect(first.items.map((d: { orgCode: string; path: string }) => [d.orgCode, d.path])).toEqual([
      ['a', '/root/a'],
      ['a1', '/root/a/a1'],
      ['a2', '/root/a/a2'],
      ['b', '/root/b'],
    ]);
    const second = (await s.api(`${departments}&pageSize=4&page=2`)).body;
    expect(second.items.map((d: { orgCode: string; path: string }) => [d.orgCode, d.path])).toEqual([
      ['orphan', '/orphan'],
      ['root', '/root'],
    ]);
    expect(second.items[0]).toMatchObject({ orgName: 'Dept orphan', parentCode: 'not-synced', syncedAt: expect.any(String) });
  });

  it('lists the children of one department, or those at the top of a path', async () => {
    const departments = `/api/v1/tenants/${TENANT}/departments?instanceId=inst-a`;
    const children = (await s.api(`${departments}&parentCode=a`)).body;
    expect(children).toMatchObject({ total: 2, items: [{ orgCode: 'a1', path: '/root/a/a1' }, { orgCode: 'a2', path: '/root/a/a2' }] });
    const top = (await s.api(`${departments}&topLevel=true`)).body;
    expect(top.items.map((d: { orgCode: string }) => d.orgCode)).toEqual(['orphan', 'root']);
    expect((await s.api(`${departments}&parentCode=a1`)).body).toMatchObject({ total: 0, items: [] });
    expect((await s.api(`${departments}&parentCode=`)).status).toBe(400);
    expect((await s.api(`${departments}&parentCode=a&topLevel=true`)).status).toBe(400);
    expect((await s.api(`/api/v1/tenants/${TENANT}/departments?instanceId=inst-b`)).body).toMatchObject({ total: 0, items: [] });
  });

  it('reports health and readiness', async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });
});
