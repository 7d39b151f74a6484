import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, dept, tenantSync } from '../helpers/fixtures.js';

const code = (prefix: string, i: number) => `${prefix}${String(i).padStart(4, '0')}`;

// The top of a tree is its roots plus the departments whose parent has not arrived; how many such
// parents there are changes how the store finds them, and the answer must not change with it.
describe.each(stores)('the top level of a department tree on %s', (store) => {
  let s: TestServer;
  const departments = (instanceId: string) => `/api/v1/tenants/${TENANT}/departments?instanceId=${instanceId}&topLevel=true&pageSize=1000`;
  beforeAll(async () => {
    s = await startTestServer(store);
    for (const instanceId of ['few-missing', 'many-missing']) await s.kit('tenantSync', tenantSync({ instanceId }));
    // Two roots, a child of each, and three departments waiting for parents not yet synced.
    const few = [dept('r1'), dept('r2'), dept('c1', 'r1'), dept('c2', 'r2'), dept('w1', 'late-1'), dept('w2', 'late-1'), dept('w3', 'late-2')];
    expect((await s.kit('allOrgSync', allOrgSync(few, { instanceId: 'few-missing' }))).resultCode).toBe('000000');
    // 1,200 departments each waiting for its own missing parent, under one root with children.
    const many = [dept('root'), dept('kid', 'root'), ...Array.from({ length: 1200 }, (_, i) => dept(code('w', i), code('late-', i)))];
    expect((await s.kit('allOrgSync', allOrgSync(many, { instanceId: 'many-missing' }))).resultCode).toBe('000000');
  });
  afterAll(() => s.stop());

  it('lists the roots and the departments whose parent is missing, a few of them', async () => {
    const top = (await s.api(departments('few-missing'))).body;
    expect(top.total).toBe(5);
    expect(top.items.map((d: { orgCode: string }) => d.orgCode)).toEqual(['r1', 'r2', 'w1', 'w2', 'w3']);
  });

  it('lists them the same way when more parents are missing than a list of codes holds', async () => {
    const first = (await s.api(departments('many-missing'))).body;
    const second = (await s.api(`${departments('many-missing')}&page=2`)).body;
    expect(first.total).toBe(1201);
    const listed = [...first.items, ...second.items].map((d: { orgCode: string }) => d.orgCode);
    expect(listed).toEqual(['root', ...Array.from({ length: 1200 }, (_, i) => code('w', i))]);
  });
});
