import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { INSTANCE, later, singleOrgSync, tenantSync } from '../helpers/fixtures.js';

interface Item {
  orgCode: string;
  parentCode: string | null;
  path: string | null;
  settled: boolean;
}

describe.each(stores)('department moves in any order on %s', (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, {}, undefined, { logLines });
  });
  afterAll(() => s.stop());

  const items = async (tenantId: string): Promise<Item[]> => (await s.api(`/api/v1/tenants/${tenantId}/departments`)).body.items;
  const paths = async (tenantId: string) => Object.fromEntries((await items(tenantId)).map((d) => [d.orgCode, d.path]));
  const audits = (tenantId: string) => s.rt.db('audit_log').where({ tenant_id: tenantId, call_name: 'singleOrgSync' }).pluck('detail');

  it('a newer move that overtakes an older one is kept, shown unsettled meanwhile, and the tree settles when the older arrives', async () => {
    const tenantId = 'overtaking-tenant';
    await s.kit('tenantSync', tenantSync({ tenantId }));
    await s.kit('singleOrgSync', singleOrgSync('A', null, { tenantId }));
    await s.kit('singleOrgSync', singleOrgSync('B', 'A', { tenantId }));
    const older = singleOrgSync('B', null, { tenantId, flag: 2 }); // "B to the top"
    const newer = singleOrgSync('A', 'B', { tenantId, flag: 2 }); // "A under B", the admin's last change

    expect((await s.kit('singleOrgSync', newer)).resultCode).toBe('000000');
    expect(await items(tenantId)).toEqual([
      expect.objectContaining({ orgCode: 'A', parentCode: 'B', path: null, settled: false }),
      expect.objectContaining({ orgCode: 'B', parentCode: 'A', path: null, settled: false }),
    ]);
    const warning = logLines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('department cycle stored'));
    expect(warning).toMatchObject({ level: 40, tenantId, cycle: ['A', 'B', 'A'] });
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text();
    expect(metrics).toMatch(/koobridge_marketplace_notices_total\{channel="kit",call="singleOrgSync",notice="department_cycle"\} 1/);

    expect((await s.kit('singleOrgSync', older)).resultCode).toBe('000000');
    expect(await paths(tenantId)).toEqual({ A: '/B/A', B: '/B' });
    expect((await items(tenantId)).every((d) => d.settled)).toBe(true);
  });

  it('two moves sent at once that close a cycle between them never store it unreported', async () => {
    for (let run = 0; run < 30; run++) {
      const tenantId = `concurrent-${run}`;
      await s.kit('tenantSync', tenantSync({ tenantId }));
      await s.kit('singleOrgSync', singleOrgSync('A', null, { tenantId }));
      await s.kit('singleOrgSync', singleOrgSync('B', null, { tenantId }));
      const answers = await Promise.all([
        s.kit('singleOrgSync', singleOrgSync('A', 'B', { tenantId, flag: 2, timeStamp: later() })),
        s.kit('singleOrgSync', singleOrgSync('B', 'A', { tenantId, flag: 2, timeStamp: later() })),
      ]);
      expect(answers.map((a) => a.resultCode)).toEqual(['000000', '000000']);
      const stored = await items(tenantId);
      expect(stored.map((d) => d.parentCode)).toEqual(['B', 'A']);
      expect(stored.every((d) => !d.settled)).toBe(true);
      // The second to commit saw the first's link: the cycle is in its audit record.
      expect((await audits(tenantId)).filter((d) => d && JSON.parse(d).cycle), `run ${run}`).toHaveLength(1);
    }
  });

  it('a full sync that loops with rows newer calls wrote keeps them and reports the cycle', async () => {
    const tenantId = 'snapshot-tenant';
    await s.kit('tenantSync', tenantSync({ tenantId }));
    const snapshotTs = later();
    await s.kit('singleOrgSync', singleOrgSync('P', 'Q', { tenantId })); // newer than the snapshot below
    const answer = await s.kit('allOrgSync', { instanceId: INSTANCE, tenantId, orgInfoList: [{ orgCode: 'P', orgName: 'P', parentCode: '' }, { orgCode: 'Q', orgName: 'Q', parentCode: 'P' }], flag: 1, testFlag: 0, timeStamp: snapshotTs });
    expect(answer.resultCode).toBe('000000');
    const detail = JSON.parse((await s.rt.db('audit_log').where({ tenant_id: tenantId, call_name: 'allOrgSync' }).first()).detail);
    expect(detail.cycle).toEqual(expect.arrayContaining(['P', 'Q']));
    expect(await paths(tenantId)).toEqual({ P: null, Q: null });
  });
});
