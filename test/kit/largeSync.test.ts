import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, authSync, tenantSync, user } from '../helpers/fixtures.js';
import { departmentTree } from '../helpers/departmentTree.js';
import { lastAudit, rowCount, statementsOn } from '../helpers/snapshot.js';

/** Real sizes: more rows than one SQLite statement may carry (500 compound terms, 32,766 parameters). */
describe.each(stores)('large syncs on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const detail = async () => (await lastAudit(s.rt.db)).detail;
  const live = (tenant_id: string) => rowCount(s.rt.db, 'departments', { tenant_id, deleted: 0 });

  it('names a bad department deep in a long list, or in the V1 orgInfo, by its place, and writes nothing', async () => {
    const tenantId = 'tenant-bad-item';
    await s.kit('tenantSync', tenantSync({ tenantId }));
    const refused = async (body: unknown, field: string) => {
      const answer = await s.kit('allOrgSync', body);
      expect(answer).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining(field) });
    };
    const list: unknown[] = departmentTree(12_000, 'X');
    list[11_111] = { orgCode: '', orgName: 'n' };
    await refused(allOrgSync(list, { tenantId }), 'orgInfoList[11111].orgCode: must not be empty');
    list[11_111] = 'not a department';
    await refused(allOrgSync(list, { tenantId }), 'orgInfoList[11111]: must be an object');
    const { orgInfoList: _, ...v1 } = allOrgSync([], { tenantId });
    await refused({ ...v1, orgInfo: JSON.stringify([{ orgCode: 'a', name: 'A' }, { orgCode: 'b' }]) }, 'orgInfo[1].orgName: is required');
    expect(await live(tenantId)).toBe(0);
  });

  it('allOrgSync of 501, then 2,000 departments', async () => {
    const tenantId = 'tenant-2000';
    await s.kit('tenantSync', tenantSync({ tenantId }));
    const tree = departmentTree(2_000, 'M');
    expect((await s.kit('allOrgSync', allOrgSync(tree.slice(0, 501), { tenantId }))).resultCode).toBe('000000');
    expect(await live(tenantId)).toBe(501);
    expect((await s.kit('allOrgSync', allOrgSync(tree, { tenantId }))).resultCode).toBe('000000');
    expect(await detail()).toMatchObject({ created: 1_499, changed: 0, unchanged: 501, removed: 0 });
    expect(await live(tenantId)).toBe(2_000);
  });

  it('allOrgSync of 100,000 departments, children before parents; its replay writes no department', async () => {
    const tenantId = 'tenant-100000';
    await s.kit('tenantSync', tenantSync({ tenantId }));
    const tree = departmentTree(100_000, 'B');
    const body = JSON.stringify(allOrgSync(tree, { tenantId }));
    expect((await s.kit('allOrgSync', body)).resultCode).toBe('000000');
    expect(await detail()).toMatchObject({ departments: 100_000, created: 100_000, changed: 0, unchanged: 0, removed: 0 });
    expect(await live(tenantId)).toBe(100_000);

    const replay = await statementsOn(s.rt.db, 'departments', async () => expect((await s.kit('allOrgSync', body)).resultCode).toBe('000000'));
    expect(replay.reads.length).toBeGreaterThan(0);
    expect(replay.writes).toEqual([]);
    expect(await detail()).toEqual({ departments: 100_000, duplicates: 0, created: 0, changed: 0, unchanged: 100_000, removed: 0, stale: 0, key: 'current' });
  });

  it('the 100,000-department tree reads level by level, each page with full paths', async () => {
    const tree = departmentTree(100_000, 'B');
    const parentOf = new Map(tree.map((d) => [d.orgCode, d.parentCode || null]));
    const pathOf = (code: string): string => (parentOf.get(code) ? `${pathOf(parentOf.get(code)!)}/${code}` : `/${code}`);
    const base = `/api/v1/tenants/tenant-100000/departments`;

    const top = (await s.api(`${base}?topLevel=true`)).body;
    expect(top).toMatchObject({ total: 1, items: [{ orgCode: 'B0000000', path: '/B0000000' }] });

    const parents = new Set(parentOf.values());
    const deep = [...parentOf.keys()].find((c) => parents.has(c) && pathOf(c).split('/').length > 6)!;
    const children = tree.filter((d) => d.parentCode === deep).map((d) => d.orgCode).sort();
    const page = (await s.api(`${base}?parentCode=${deep}&pageSize=1000`)).body;
    expect(page.total).toBe(children.length);
    expect(page.items.map((d: { orgCode: string; path: string }) => [d.orgCode, d.path])).toEqual(children.map((c) => [c, pathOf(c)]));

    const last = (await s.api(`${base}?page=100&pageSize=1000`)).body;
    expect(last).toMatchObject({ page: 100, pageSize: 1000, total: 100_000 });
    expect(last.items.map((d: { orgCode: string; path: string }) => [d.orgCode, d.path])).toEqual(
      [...parentOf.keys()].sort().slice(99_000).map((c) => [c, pathOf(c)]),
    );
  });

  it('authSync of 501, then 2,000 users', async () => {
    await s.kit('tenantSync', tenantSync());
    const users = Array.from({ length: 2_000 }, (_, i) => user(`bulk${String(i).padStart(4, '0')}`, { email: `bulk${i}@example.com` }));
    for (const batch of [users.slice(0, 501), users]) {
      expect((await s.kit('authSync', authSync(batch, { appId: 'bulk-app' }))).resultCode).toBe('000000');
      expect(await rowCount(s.rt.db, 'user_apps', { tenant_id: TENANT, app_id: 'bulk-app', state: 'authorized' })).toBe(batch.length);
      expect(await rowCount(s.rt.db, 'users', { tenant_id: TENANT, deleted: 0 })).toBe(batch.length);
    }
  });
});
