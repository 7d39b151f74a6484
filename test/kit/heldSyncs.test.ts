import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, dept, later, singleOrgSync, tenantSync } from '../helpers/fixtures.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { departmentTree } from '../helpers/departmentTree.js';
import { directorySnapshot, lastAudit, rowCount } from '../helpers/snapshot.js';

const HELD = '000005';
const tree50 = () => Array.from({ length: 50 }, (_, i) => dept(`d${String(i).padStart(2, '0')}`, i === 0 ? null : 'd00'));

describe.each(stores)('mass-delete guard of full syncs on %s', (store) => {
  let s: TestServer | undefined;
  let logLines: string[] = [];
  const start = async (env: Record<string, string> = {}) => {
    await s?.stop();
    logLines = [];
    s = await startTestServer(store, { LOG_LEVEL: 'info', ...env }, undefined, { logLines });
    await s.kit('tenantSync', tenantSync());
    expect((await s.kit('allOrgSync', allOrgSync(tree50()))).resultCode).toBe('000000');
  };
  beforeEach(() => start());
  afterAll(() => s?.stop());

  const live = () => rowCount(s!.rt.db, 'departments', { tenant_id: TENANT, deleted: 0 });
  const heldSyncs = async (query = '') => (await s!.api(`/api/v1/held-syncs${query}`)).body.items;
  const decide = (id: number, decision: 'apply' | 'discard') => s!.api(`/api/v1/held-syncs/${id}/${decision}`, TEST_KEYS.apiToken, 'POST');
  const { orgInfoList: _, ...v1Base } = allOrgSync([]);

  it.each([
    ['an empty list', () => allOrgSync([])],
    ['an empty list as a JSON string', () => allOrgSync('[]')],
    ['the V1 orgInfo "[]"', () => ({ ...v1Base, timeStamp: later(), orgInfo: '[]' })],
    ['a truncated list', () => allOrgSync(tree50().slice(0, 20))],
  ])('%s that would remove most departments is held: not success, nothing applied, kept with what it would remove', async (_name, body) => {
    const before = await directorySnapshot(s!.rt.db);
    const answer = await s!.kit('allOrgSync', body());
    const removing = answer.resultMsg.includes('remove 30 ') ? 30 : 50;
    expect(answer).toEqual({
      resultCode: HELD,
      resultMsg: `full sync held for the merchant (held sync 1): it would remove ${removing} of 50 departments, more than ORG_SYNC_DELETE_LIMIT 20% allows; nothing changed`,
    });
    expect(await directorySnapshot(s!.rt.db)).toEqual(before);
    expect(await lastAudit(s!.rt.db)).toMatchObject({ call_name: 'allOrgSync', result_code: HELD, outcome: 'held' });
    expect(await heldSyncs()).toEqual([
      expect.objectContaining({ id: 1, tenantId: TENANT, state: 'held', departments: 50 - removing, liveDepartments: 50, wouldRemove: removing }),
    ]);
    const removals = (await s!.api('/api/v1/held-syncs/1/removals?pageSize=1000')).body;
    expect(removals.total).toBe(removing);
    expect(removals.items[removals.items.length - 1]).toEqual({ orgCode: 'd49', orgName: 'Dept d49', parentCode: 'd00' });
    const logged = logLines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('full department sync held'));
    expect(logged).toMatchObject({ level: 40, heldSyncId: 1, tenantId: TENANT, wouldRemove: removing, live: 50 });
  });

  it('removals within the limit are applied: at most 10 departments, or at most 20% of them', async () => {
    expect((await s!.kit('allOrgSync', allOrgSync(tree50().slice(0, 40)))).resultCode).toBe('000000');
    expect(await live()).toBe(40);
    const more = Array.from({ length: 60 }, (_, i) => dept(`e${String(i).padStart(2, '0')}`, 'd00'));
    expect((await s!.kit('allOrgSync', allOrgSync([...tree50().slice(0, 40), ...more]))).resultCode).toBe('000000');
    // 100 live: removing 20 (exactly 20%) passes, removing 11 more of the 80 left (13.75%) too.
    expect((await s!.kit('allOrgSync', allOrgSync([...tree50().slice(0, 20), ...more]))).resultCode).toBe('000000');
    expect((await s!.kit('allOrgSync', allOrgSync([...tree50().slice(0, 9), ...more]))).resultCode).toBe('000000');
    expect(await live()).toBe(69);
    expect(await heldSyncs()).toEqual([]);
  });

  it('ORG_SYNC_DELETE_LIMIT=0 turns the guard off; a number of departments is a limit of its own', async () => {
    await start({ ORG_SYNC_DELETE_LIMIT: '0' });
    expect((await s!.kit('allOrgSync', allOrgSync([]))).resultCode).toBe('000000');
    expect(await live()).toBe(0);

    await start({ ORG_SYNC_DELETE_LIMIT: '5' });
    expect((await s!.kit('allOrgSync', allOrgSync(tree50().slice(0, 45)))).resultCode).toBe('000000');
    expect((await s!.kit('allOrgSync', allOrgSync(tree50().slice(0, 39)))).resultCode).toBe(HELD);
    expect(await live()).toBe(45);
  });

  it('a replay of a held sync answers the same and records nothing new', async () => {
    const body = allOrgSync([]);
    const first = await s!.kit('allOrgSync', body);
    const rows = await rowCount(s!.rt.db, 'held_sync_departments');
    expect(await s!.kit('allOrgSync', body)).toEqual(first);
    expect(await s!.kit('allOrgSync', JSON.stringify({ ...v1Base, timeStamp: body.timeStamp, orgInfo: '[]' }))).toEqual(first);
    expect(await rowCount(s!.rt.db, 'held_syncs')).toBe(1);
    expect(await rowCount(s!.rt.db, 'held_sync_departments')).toBe(rows);
  });

  it('the merchant applies a held sync: the very same full sync runs, rows newer calls wrote stay; applying again changes nothing', async () => {
    const held = allOrgSync(tree50().slice(0, 5));
    expect((await s!.kit('allOrgSync', held)).resultCode).toBe(HELD);
    await s!.kit('singleOrgSync', singleOrgSync('d30', 'd00', { orgName: 'renamed after the held sync' }));
    await s!.kit('singleOrgSync', singleOrgSync('late', 'd01'));

    const applied = await decide(1, 'apply');
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ message: 'held sync 1 applied', heldSync: { id: 1, state: 'applied' }, sync: { outcome: 'applied', removed: 44, stale: 2 } });
    const { items } = (await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body;
    expect(items.map((d: { orgCode: string }) => d.orgCode)).toEqual(['d00', 'd01', 'd02', 'd03', 'd04', 'd30', 'late']);
    expect(await lastAudit(s!.rt.db)).toMatchObject({ channel: 'api', call_name: 'applyHeldSync', result_code: '200', outcome: 'applied', tenant_id: TENANT });

    const before = await directorySnapshot(s!.rt.db);
    expect(await decide(1, 'apply')).toMatchObject({ status: 200, body: { message: 'held sync 1 was applied before; nothing changed' } });
    expect(await decide(1, 'discard')).toMatchObject({ status: 409, body: { error: 'conflict', message: 'held sync 1 cannot be discarded: it was applied' } });
    expect(await directorySnapshot(s!.rt.db)).toEqual(before);
    expect(await rowCount(s!.rt.db, 'held_sync_departments')).toBe(0);
    expect(await s!.api('/api/v1/held-syncs/1/removals')).toEqual({ status: 410, body: { error: 'gone', message: 'held sync 1 is applied: what it would have removed is no longer kept' } });
  });

  it('the merchant discards a held sync: nothing changes, it cannot be applied, and its replay stays held', async () => {
    const body = allOrgSync([]);
    await s!.kit('allOrgSync', body);
    const before = await directorySnapshot(s!.rt.db);
    expect(await decide(1, 'discard')).toMatchObject({ status: 200, body: { heldSync: { state: 'discarded' } } });
    expect(await decide(1, 'discard')).toMatchObject({ status: 200 });
    expect(await decide(1, 'apply')).toMatchObject({ status: 409, body: { message: 'held sync 1 cannot be applied: it was discarded' } });
    const replay = await s!.kit('allOrgSync', body);
    expect(replay).toMatchObject({ resultCode: HELD, resultMsg: expect.stringMatching(/\(held sync 1\).*; the merchant discarded it$/) });
    expect(await directorySnapshot(s!.rt.db)).toEqual(before);
    expect(await rowCount(s!.rt.db, 'held_syncs')).toBe(1);
    expect(await s!.rt.db('audit_log').where('channel', 'api').orderBy('id').pluck('result_code')).toEqual(['200', '200', '409']);
  });

  it('a newer full sync supersedes a held one, which then cannot be applied; an older one arriving late is superseded at once', async () => {
    const olderTs = later();
    await s!.kit('allOrgSync', allOrgSync([], { timeStamp: later() }));
    await s!.kit('allOrgSync', allOrgSync(tree50().slice(0, 10)));
    expect((await heldSyncs('?state=superseded')).map((h: { id: number }) => h.id)).toEqual([1]);
    expect((await heldSyncs('?state=held')).map((h: { id: number }) => h.id)).toEqual([2]);

    expect((await s!.kit('allOrgSync', allOrgSync([], { timeStamp: olderTs }))).resultMsg).toMatch(/\(held sync 3\).*; a newer full sync superseded it$/);
    expect((await s!.kit('allOrgSync', allOrgSync([...tree50(), dept('new')]))).resultCode).toBe('000000');
    expect(await heldSyncs('?state=held')).toEqual([]);
    const superseded = await decide(2, 'apply');
    expect(superseded.status).toBe(409);
    expect(superseded.body.message).toMatch(/^held sync 2 cannot be applied: a newer full sync \(timeStamp \d{17}\) superseded it$/);
    expect(await live()).toBe(51);
    expect(await rowCount(s!.rt.db, 'held_sync_departments')).toBe(0);
  });

  it('applying a held sync while a newer full sync arrives: either it is applied first or superseded, and the newer sync wins', async () => {
    for (let round = 0; round < 3; round++) {
      const heldTs = later();
      const newerList = [...tree50().slice(0, 45), dept(`r${round}`)];
      const newer = allOrgSync(newerList);
      await s!.kit('allOrgSync', allOrgSync([], { timeStamp: heldTs }));
      const [held] = await heldSyncs('?state=held');
      const [applied, synced] = await Promise.all([decide(held.id, 'apply'), s!.kit('allOrgSync', newer)]);
      expect(synced.resultCode).toBe('000000');
      const state = (await s!.api(`/api/v1/held-syncs/${held.id}`)).body.state;
      expect([applied.status, state]).toEqual(applied.status === 200 ? [200, 'applied'] : [409, 'superseded']);
      const { items } = (await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body;
      expect(items.map((d: { orgCode: string }) => d.orgCode)).toEqual(newerList.map((d) => d.orgCode).sort());
      // The next round starts again from the full tree.
      expect((await s!.kit('allOrgSync', allOrgSync(tree50()))).resultCode).toBe('000000');
    }
  });

  it('the held-sync API needs the bearer token', async () => {
    await s!.kit('allOrgSync', allOrgSync([]));
    for (const [method, path] of [['GET', '/api/v1/held-syncs'], ['GET', '/api/v1/held-syncs/1'], ['GET', '/api/v1/held-syncs/1/removals'], ['POST', '/api/v1/held-syncs/1/apply'], ['POST', '/api/v1/held-syncs/1/discard']]) {
      expect((await fetch(`${s!.url}${path}`, { method })).status, `${method} ${path}`).toBe(401);
    }
    expect((await decide(1, 'apply')).status).toBe(200);
    expect((await decide(2, 'apply')).status).toBe(404);
    expect((await s!.api('/api/v1/held-syncs/x1')).status).toBe(404);
    expect((await s!.api('/api/v1/held-syncs/1')).body).toMatchObject({ id: 1, state: 'applied' });
  });

  it('a held sync shows in /metrics', async () => {
    await s!.kit('allOrgSync', allOrgSync([]));
    const text = await (await fetch(`${s!.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text();
    expect(text).toMatch(/koobridge_marketplace_notices_total\{channel="kit",call="allOrgSync",notice="full_sync_held"\} 1/);
    expect(text).toMatch(/koobridge_marketplace_calls_total\{channel="kit",call="allOrgSync",result_code="000005",outcome="held"\} 1/);
  });

  it('a held snapshot of 30,000 departments is kept whole and applied as sent', async () => {
    const tenantId = 'tenant-large-held';
    await s!.kit('tenantSync', tenantSync({ tenantId }));
    const tree = departmentTree(30_000, 'H');
    expect((await s!.kit('allOrgSync', allOrgSync(tree, { tenantId }))).resultCode).toBe('000000');
    const kept = tree.slice(0, 12_000).map((d) => ({ ...d, orgName: `${d.orgName} (kept)`, parentCode: '' }));
    expect((await s!.kit('allOrgSync', allOrgSync(kept, { tenantId }))).resultCode).toBe(HELD);
    const [held] = await heldSyncs(`?tenantId=${tenantId}`);
    expect(held).toMatchObject({ departments: 12_000, liveDepartments: 30_000, wouldRemove: 18_000 });
    expect((await decide(held.id, 'apply')).body.sync).toMatchObject({ changed: 12_000, removed: 18_000 });
    const stored = await s!.rt.db('departments').where({ tenant_id: tenantId, deleted: 0 }).orderBy('org_code').select('org_code', 'org_name', 'parent_code');
    const expected = kept.map((d) => ({ org_code: d.orgCode, org_name: d.orgName, parent_code: null })).sort((a, b) => (a.org_code < b.org_code ? -1 : 1));
    expect(stored).toEqual(expected);
  });
});
