import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, dept, later, singleOrgSync, tenantSync } from '../helpers/fixtures.js';
import { directorySnapshot, lastAudit, statementsOn } from '../helpers/snapshot.js';

describe.each(stores)('department sync on %s', (store) => {
  let s: TestServer | undefined;
  beforeEach(async () => {
    await s?.stop();
    s = await startTestServer(store);
    await s.kit('tenantSync', tenantSync());
  });
  afterAll(() => s?.stop());

  const tree = async () => {
    const { items } = (await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body;
    return Object.fromEntries(items.map((d: { orgCode: string; path: string }) => [d.orgCode, d.path]));
  };

  it('singleOrgSync adds, renames, moves and deletes', async () => {
    await s!.kit('singleOrgSync', singleOrgSync('root', null));
    await s!.kit('singleOrgSync', singleOrgSync('a', 'root'));
    await s!.kit('singleOrgSync', singleOrgSync('b', 'root'));
    await s!.kit('singleOrgSync', singleOrgSync('a1', 'a'));
    expect(await tree()).toEqual({ root: '/root', a: '/root/a', b: '/root/b', a1: '/root/a/a1' });

    await s!.kit('singleOrgSync', singleOrgSync('a', 'b', { flag: 2, orgName: 'A moved' }));
    expect(await tree()).toEqual({ root: '/root', a: '/root/b/a', b: '/root/b', a1: '/root/b/a/a1' });
    const { items } = (await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body;
    expect(items.find((d: { orgCode: string }) => d.orgCode === 'a')).toMatchObject({ orgName: 'A moved', parentCode: 'b' });

    await s!.kit('singleOrgSync', singleOrgSync('b', 'root', { flag: 0 }));
    expect(Object.keys(await tree()).sort()).toEqual(['a', 'a1', 'root']);
    expect((await s!.kit('singleOrgSync', singleOrgSync('b', 'root', { flag: 0 }))).resultCode).toBe('000000');
  });

  it('a child may arrive before its parent', async () => {
    await s!.kit('singleOrgSync', singleOrgSync('leaf', 'mid'));
    expect(await tree()).toEqual({ leaf: '/leaf' });
    await s!.kit('singleOrgSync', singleOrgSync('mid', 'top'));
    await s!.kit('singleOrgSync', singleOrgSync('top', null));
    expect(await tree()).toEqual({ top: '/top', mid: '/top/mid', leaf: '/top/mid/leaf' });
  });

  it('a move that closes a cycle is kept as its department\'s latest word, shown unsettled, and settles on the next move', async () => {
    await s!.kit('singleOrgSync', singleOrgSync('x', null));
    await s!.kit('singleOrgSync', singleOrgSync('y', 'x'));
    await s!.kit('singleOrgSync', singleOrgSync('z', 'y'));
    const answer = await s!.kit('singleOrgSync', singleOrgSync('x', 'z', { flag: 2 }));
    expect(answer.resultCode).toBe('000000');
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ cycle: ['x', 'z', 'y', 'x'] });
    expect(await tree()).toEqual({ x: null, y: null, z: null });
    await s!.kit('singleOrgSync', singleOrgSync('y', null, { flag: 2 }));
    expect(await tree()).toEqual({ y: '/y', x: '/y/z/x', z: '/y/z' });
    // A department cannot be its own parent: that call contradicts itself, whatever else arrives.
    expect((await s!.kit('singleOrgSync', singleOrgSync('x', 'x', { flag: 2 }))).resultMsg).toBe('parentCode: department x cannot be its own parent');
  });

  it('a department that arrives after its child and closes a cycle through it is reported', async () => {
    await s!.kit('singleOrgSync', singleOrgSync('c', 'n')); // n is not synced yet
    await s!.kit('singleOrgSync', singleOrgSync('p', 'c'));
    expect((await s!.kit('singleOrgSync', singleOrgSync('n', 'p'))).resultCode).toBe('000000');
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ cycle: ['n', 'p', 'c', 'n'] });
    expect(await tree()).toEqual({ c: null, n: null, p: null });
  });

  it('a new department under a deep parent reads the tree twice and writes once, however deep', async () => {
    for (const [code, parent] of [['d0', null], ['d1', 'd0'], ['d2', 'd1'], ['d3', 'd2'], ['d4', 'd3']] as const) await s!.kit('singleOrgSync', singleOrgSync(code, parent));
    const seen = await statementsOn(s!.rt.db, 'departments', () => s!.kit('singleOrgSync', singleOrgSync('leaf', 'd4')));
    // An add goes straight to its insert (a newer row standing would refuse it); then one read
    // whether anything lies below, one the new parent's ancestry (the event's path) in a single statement.
    expect(seen).toMatchObject({ reads: [expect.anything(), expect.anything()], writes: [expect.anything()] });
    expect((await tree()).leaf).toBe('/d0/d1/d2/d3/d4/leaf');
  });

  it('allOrgSync takes an array, children before parents, and builds the paths', async () => {
    const answer = await s!.kit('allOrgSync', allOrgSync([dept('c', 'b'), dept('b', 'a'), dept('a')]));
    expect(answer.resultCode).toBe('000000');
    expect(await tree()).toEqual({ a: '/a', b: '/a/b', c: '/a/b/c' });
  });

  it('allOrgSync takes orgInfoList as a JSON string, ignoring a stray flag', async () => {
    const list = JSON.stringify([{ ...dept('a'), flag: 1 }, dept('b', 'a')]);
    expect((await s!.kit('allOrgSync', allOrgSync(list))).resultCode).toBe('000000');
    expect(await tree()).toEqual({ a: '/a', b: '/a/b' });
  });

  it('allOrgSync takes the V1 form orgInfo with name', async () => {
    const { orgInfoList: _, ...body } = allOrgSync([]);
    const v1 = { ...body, orgInfo: JSON.stringify([{ orgCode: 'v1', name: 'V1 dept', parentCode: '' }]) };
    expect((await s!.kit('allOrgSync', v1)).resultCode).toBe('000000');
    expect((await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body.items).toEqual([expect.objectContaining({ orgCode: 'v1', orgName: 'V1 dept', path: '/v1' })]);
  });

  it('a full sync is a snapshot: unlisted departments are deleted, except those written by a newer call', async () => {
    await s!.kit('allOrgSync', allOrgSync([dept('keep'), dept('gone'), dept('child', 'keep')]));
    const fullTs = later();
    const newerTs = later();
    await s!.kit('singleOrgSync', singleOrgSync('newer', 'keep', { timeStamp: newerTs }));
    await s!.kit('allOrgSync', allOrgSync([dept('keep'), dept('child', 'keep')], { timeStamp: fullTs }));
    expect(await tree()).toEqual({ keep: '/keep', child: '/keep/child', newer: '/keep/newer' });
  });

  it('a full sync writes only what changed and counts it in its audit record', async () => {
    await s!.kit('allOrgSync', allOrgSync([dept('a'), dept('b', 'a'), dept('c', 'a'), dept('d'), dept('x'), dept('gone')]));
    await s!.kit('singleOrgSync', singleOrgSync('gone', null, { flag: 0 }));
    const fullTs = later();
    await s!.kit('singleOrgSync', singleOrgSync('n', 'a'));
    const next = [dept('a'), dept('b', 'a', 'B renamed'), dept('c', 'd'), dept('d'), dept('e', 'd'), dept('gone')];
    expect((await s!.kit('allOrgSync', allOrgSync(next, { timeStamp: fullTs }))).resultCode).toBe('000000');
    // b renamed, c moved, e new, gone revived, x unlisted, n written by a newer call.
    expect((await lastAudit(s!.rt.db)).detail).toEqual({ departments: 6, duplicates: 0, created: 2, changed: 2, unchanged: 2, removed: 1, stale: 1, key: 'current' });
    expect(await tree()).toEqual({ a: '/a', b: '/a/b', c: '/d/c', d: '/d', e: '/d/e', gone: '/gone', n: '/a/n' });
  });

  it('a replay of a full sync sends no write to the departments table', async () => {
    const body = allOrgSync([dept('c', 'b'), dept('b', 'a'), dept('a')]);
    await s!.kit('allOrgSync', body);
    const replay = await statementsOn(s!.rt.db, 'departments', () => s!.kit('allOrgSync', body));
    expect(replay.reads.length).toBeGreaterThan(0);
    expect(replay.writes).toEqual([]);
    // Nothing was written since the snapshot was applied: the tree itself is not read again.
    expect(replay.reads.filter((sql) => /org_name/.test(sql))).toEqual([]);
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ created: 0, changed: 0, removed: 0, unchanged: 3 });
  });

  it('a resend of the last snapshot still removes a department an older call added after it', async () => {
    const olderTs = later();
    const body = allOrgSync([dept('a'), dept('b', 'a')]);
    await s!.kit('allOrgSync', body);
    await s!.kit('singleOrgSync', singleOrgSync('late', 'a', { timeStamp: olderTs }));
    expect(await tree()).toEqual({ a: '/a', b: '/a/b', late: '/a/late' });
    await s!.kit('allOrgSync', body);
    expect(await tree()).toEqual({ a: '/a', b: '/a/b' });
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ created: 0, changed: 0, removed: 1, unchanged: 2 });
  });

  it('a resend of the last snapshot keeps what a newer call wrote, and re-applies itself over a call of its own time', async () => {
    const body = allOrgSync([dept('a'), dept('b', 'a', 'Bee')]);
    await s!.kit('allOrgSync', body);
    await s!.kit('singleOrgSync', singleOrgSync('b', null, { flag: 2, orgName: 'Same time', timeStamp: body.timeStamp }));
    await s!.kit('allOrgSync', body);
    const names = async () => Object.fromEntries((await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body.items.map((d: { orgCode: string; orgName: string }) => [d.orgCode, d.orgName]));
    // Equal times re-apply: the snapshot arrived last, so its word stands.
    expect(await names()).toEqual({ a: 'Dept a', b: 'Bee' });
    expect(await tree()).toEqual({ a: '/a', b: '/a/b' });

    await s!.kit('singleOrgSync', singleOrgSync('b', null, { flag: 2, orgName: 'Newer' }));
    await s!.kit('allOrgSync', body);
    expect(await names()).toEqual({ a: 'Dept a', b: 'Newer' });
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ created: 0, changed: 0, removed: 0, unchanged: 1, stale: 1 });
  });

  it('the same tree under a newer timeStamp changes no values, yet older calls arriving after it are stale', async () => {
    await s!.kit('allOrgSync', allOrgSync([dept('a'), dept('b', 'a'), dept('x')]));
    await s!.kit('singleOrgSync', singleOrgSync('x', null, { flag: 0 }));
    const between = later();
    await s!.kit('allOrgSync', allOrgSync([dept('a'), dept('b', 'a')]));
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ created: 0, changed: 0, removed: 0, unchanged: 2 });
    await s!.kit('singleOrgSync', singleOrgSync('b', null, { flag: 0, timeStamp: between }));
    await s!.kit('singleOrgSync', singleOrgSync('x', null, { timeStamp: between }));
    expect(await tree()).toEqual({ a: '/a', b: '/a/b' });
  });

  it('an empty snapshot deletes every department an older call wrote', async () => {
    await s!.kit('allOrgSync', allOrgSync([dept('a'), dept('b', 'a')]));
    const emptyTs = later();
    await s!.kit('singleOrgSync', singleOrgSync('n', null));
    expect((await s!.kit('allOrgSync', allOrgSync([], { timeStamp: emptyTs }))).resultCode).toBe('000000');
    expect(await lastAudit(s!.rt.db)).toMatchObject({ outcome: 'applied' });
    expect((await lastAudit(s!.rt.db)).detail).toMatchObject({ departments: 0, created: 0, removed: 2, stale: 1 });
    expect(await tree()).toEqual({ n: '/n' });
  });

  it('a full sync with a parent cycle is refused and changes nothing', async () => {
    await s!.kit('allOrgSync', allOrgSync([dept('a')]));
    const before = await directorySnapshot(s!.rt.db);
    const answer = await s!.kit('allOrgSync', allOrgSync([dept('p', 'q'), dept('q', 'r'), dept('r', 'p'), dept('ok')]));
    expect(answer.resultCode).toBe('000002');
    expect(answer.resultMsg).toMatch(/^orgInfoList: departments form a parent cycle \((p > q > r > p|q > r > p > q|r > p > q > r)\)$/);
    expect(await directorySnapshot(s!.rt.db)).toEqual(before);
  });

  it('an older singleOrgSync arriving after a newer one changes nothing and is audited stale', async () => {
    const older = singleOrgSync('d', null, { orgName: 'old' });
    const newer = singleOrgSync('d', null, { orgName: 'new' });
    await s!.kit('singleOrgSync', newer);
    expect((await s!.kit('singleOrgSync', older)).resultCode).toBe('000000');
    expect((await s!.api(`/api/v1/tenants/${TENANT}/departments`)).body.items[0].orgName).toBe('new');
    expect(await lastAudit(s!.rt.db)).toMatchObject({ outcome: 'stale' });
  });

  it('a delete that overtook the add keeps the department deleted', async () => {
    const add = singleOrgSync('late', null);
    const del = singleOrgSync('late', null, { flag: 0 });
    await s!.kit('singleOrgSync', del);
    await s!.kit('singleOrgSync', add);
    expect(await tree()).toEqual({});
  });
});
