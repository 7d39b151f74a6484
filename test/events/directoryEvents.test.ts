import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { APP, INSTANCE, allOrgSync, applicationSync, authSync, dept, later, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { departmentTree } from '../helpers/departmentTree.js';
import { lastAudit, statementsOn } from '../helpers/snapshot.js';
import { whileStoreHeld } from '../helpers/holdStore.js';

type Event = { type: string; sequence: number; instanceId: string; tenantId: string; testFlag: boolean; sourceTime: string; data: Record<string, any> };

/** The events the kit calls write, read as a receiver does: through the events API, from a cursor. */
describe.each(stores)('directory events of the kit calls on %s', (store) => {
  let s: TestServer;
  let cursor = '0';
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  /** Every event since the last look, following `next` page by page. */
  async function newEvents(): Promise<Event[]> {
    const all: Event[] = [];
    for (;;) {
      const { status, body } = await s.api(`/api/v1/events?after=${cursor}&limit=1000`);
      expect(status).toBe(200);
      all.push(...body.data);
      cursor = body.next;
      if (body.data.length < 1000) return all;
    }
  }
  const types = (events: Event[]) => events.map((e) => e.type);
  const ok = async (call: string, body: unknown) => expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
  const tenantShown = async (tenantId: string) => (await s.api(`/api/v1/tenants/${tenantId}?instanceId=${INSTANCE}`)).body;
  const userShown = async (tenantId: string, userName: string) => (await s.api(`/api/v1/tenants/${tenantId}/users/${userName}?instanceId=${INSTANCE}`)).body;
  const departmentsShown = async (tenantId: string) => (await s.api(`/api/v1/tenants/${tenantId}/departments?instanceId=${INSTANCE}&pageSize=1000`)).body.items;

  it('tenantSync: created, updated on a change, deleted with its last state; nothing for resends, stale or replayed calls', async () => {
    await newEvents();
    const tenantId = 'events-tenant';
    const add = tenantSync({ tenantId });
    await ok('tenantSync', add);
    const [created, ...none] = await newEvents();
    expect(none).toEqual([]);
    expect(created).toMatchObject({ type: 'tenant.created', instanceId: INSTANCE, tenantId, testFlag: false, sourceTime: add.timeStamp });
    expect(created!.data).toEqual(await tenantShown(tenantId));

    // The same content with a new nonce, and the very same request again (its nonce spent): nothing.
    await ok('tenantSync', add);
    const sameNonce = { nonce: nonce(), timestamp: String(Date.now()) };
    await ok('tenantSync', { ...add, timeStamp: later() });
    const resend = tenantSync({ tenantId, timeStamp: later() });
    await ok('tenantSync', resend);
    expect(await s.kit('tenantSync', resend, sameNonce)).toMatchObject({ resultCode: '000000' });
    expect(await s.kit('tenantSync', resend, sameNonce)).toMatchObject({ resultCode: '000000' });
    expect(await newEvents()).toEqual([]);

    const renamed = tenantSync({ tenantId, flag: 2, name: 'renamed' });
    await ok('tenantSync', renamed);
    const moved = tenantSync({ tenantId, flag: 1, name: 'renamed', domainName: 'https://other.example.com' });
    const older = tenantSync({ tenantId, flag: 2, name: 'older' });
    await ok('tenantSync', moved);
    await ok('tenantSync', { ...older, timeStamp: renamed.timeStamp.replace(/^2026/, '2025') });
    const updates = await newEvents();
    expect(types(updates)).toEqual(['tenant.updated', 'tenant.updated']);
    expect(updates.map((e) => [e.data.name, e.data.domainName, e.sourceTime])).toEqual([
      ['renamed', 'https://example.tenantaccount.com', renamed.timeStamp],
      ['renamed', 'https://other.example.com', moved.timeStamp],
    ]);

    await ok('applicationSync', applicationSync(encryptClientSecret('s1'), { tenantId }));
    await ok('singleOrgSync', singleOrgSync('under-tenant', null, { tenantId }));
    await ok('authSync', authSync([user('under-tenant')], { tenantId }));
    await newEvents();
    const lastState = await tenantShown(tenantId);
    const deletion = tenantSync({ tenantId, flag: 0 });
    await ok('tenantSync', deletion);
    // One event for the tenant and all under it (apps, users, departments end with it).
    const [deleted, ...rest] = await newEvents();
    expect(rest).toEqual([]);
    expect(deleted).toMatchObject({ type: 'tenant.deleted', sourceTime: deletion.timeStamp, data: lastState });
    expect(deleted!.data.apps).toHaveLength(1);
    expect(JSON.stringify(deleted)).not.toMatch(/"clientSecret"|"s1"/);
    await ok('tenantSync', tenantSync({ tenantId, flag: 0 }));
    expect(await newEvents()).toEqual([]);

    await ok('tenantSync', tenantSync({ tenantId }));
    const [again] = await newEvents();
    expect(again).toMatchObject({ type: 'tenant.created', data: { apps: [] } });
  });

  it('applicationSync: app.synced when new or its clientId, secret or test flag changed; app.deleted; never the secret', async () => {
    const tenantId = 'events-app';
    await ok('tenantSync', tenantSync({ tenantId }));
    await newEvents();
    const first = applicationSync(encryptClientSecret('first-secret'), { tenantId });
    await ok('applicationSync', first);
    const [synced] = await newEvents();
    expect(synced).toMatchObject({ type: 'app.synced', tenantId, sourceTime: first.timeStamp, testFlag: false });
    expect(synced!.data).toEqual({ instanceId: INSTANCE, tenantId, appId: APP, clientId: first.clientId, hasClientSecret: true, testFlag: false, syncedAt: first.timeStamp });
    expect((await tenantShown(tenantId)).apps).toEqual([{ appId: APP, clientId: first.clientId, hasClientSecret: true, testFlag: false, syncedAt: first.timeStamp }]);

    await ok('applicationSync', applicationSync(encryptClientSecret('first-secret'), { tenantId }));
    expect(await newEvents()).toEqual([]);
    await ok('applicationSync', applicationSync(encryptClientSecret('second-secret'), { tenantId }));
    await ok('applicationSync', applicationSync(encryptClientSecret('second-secret'), { tenantId, clientId: 'another-client' }));
    const changed = await newEvents();
    expect(changed.map((e) => [e.type, e.data.clientId])).toEqual([
      ['app.synced', first.clientId],
      ['app.synced', 'another-client'],
    ]);
    expect(JSON.stringify(changed)).not.toMatch(/"clientSecret"|second-secret/);

    expect(await s.kit('applicationSync', applicationSync('not-encrypted', { tenantId }))).toMatchObject({ resultCode: '000002' });
    expect(await newEvents()).toEqual([]);

    const removal = applicationSync('', { tenantId, flag: 0 });
    await ok('applicationSync', removal);
    const [deleted] = await newEvents();
    expect(deleted).toMatchObject({ type: 'app.deleted', sourceTime: removal.timeStamp, data: { appId: APP, clientId: 'another-client', hasClientSecret: true } });
    await ok('applicationSync', applicationSync('', { tenantId, flag: 0 }));
    expect(await newEvents()).toEqual([]);
  });

  it('authSync: authorized, updated, deauthorized and deleted per user, as the user API shows them', async () => {
    const tenantId = 'events-auth';
    await ok('tenantSync', tenantSync({ tenantId }));
    await newEvents();
    const add = authSync([user('ann', { role: 'admin' }), user('bob'), user('ann', { role: 'admin' })], { tenantId });
    await ok('authSync', add);
    const added = await newEvents();
    expect(added.map((e) => [e.type, e.data.userName])).toEqual([
      ['user.authorized', 'ann'],
      ['user.authorized', 'bob'],
    ]);
    expect(added[0]).toMatchObject({ tenantId, sourceTime: add.currentSyncTime, testFlag: false });
    expect(added[0]!.data).toEqual({ ...(await userShown(tenantId, 'ann')), appId: APP });

    // The same list again (new nonce, new time): nothing changed.
    await ok('authSync', authSync([user('ann', { role: 'admin' }), user('bob')], { tenantId }));
    expect(await newEvents()).toEqual([]);

    await ok('authSync', authSync([user('ann', { role: 'admin', name: 'Ann B.' }), user('bob')], { tenantId, flag: 2 }));
    await ok('authSync', authSync([user('bob', { role: 'admin' })], { tenantId, flag: 2 }));
    const updated = await newEvents();
    expect(updated.map((e) => [e.type, e.data.userName, e.data.name])).toEqual([
      ['user.updated', 'ann', 'Ann B.'],
      ['user.updated', 'bob', 'Name bob'],
    ]);
    expect(updated[1]!.data.apps).toEqual([expect.objectContaining({ appId: APP, role: 'admin', authorized: true })]);

    await ok('authSync', authSync([user('bob', { enable: 'false', role: 'admin' })], { tenantId, flag: 2 }));
    await ok('authSync', authSync([user('bob', { role: 'admin' })], { tenantId, flag: 2 }));
    await ok('authSync', authSync([user('bob', { role: 'admin' })], { tenantId, flag: 3 }));
    await ok('authSync', authSync([user('bob', { role: 'admin' })], { tenantId, flag: 1 }));
    const toggled = await newEvents();
    expect(types(toggled)).toEqual(['user.deauthorized', 'user.authorized', 'user.deauthorized', 'user.authorized']);
    expect(toggled[0]!.data.apps[0]).toMatchObject({ enabled: false, authorized: false });
    expect(toggled[2]!.data.apps[0]).toMatchObject({ state: 'cancelled', authorized: false });

    // Deleted for one app while another still has them: deauthorized; for the last app: deleted.
    await ok('authSync', authSync([user('bob')], { tenantId, appId: 'other-app' }));
    await newEvents();
    const lastState = await userShown(tenantId, 'bob');
    await ok('authSync', authSync([user('bob')], { tenantId, flag: 0 }));
    const deletion = authSync([user('bob')], { tenantId, appId: 'other-app', flag: 0 });
    await ok('authSync', deletion);
    const gone = await newEvents();
    expect(gone.map((e) => [e.type, e.data.appId])).toEqual([
      ['user.deauthorized', APP],
      ['user.deleted', 'other-app'],
    ]);
    expect(gone[0]!.data.apps.map((a: { appId: string; state: string }) => [a.appId, a.state])).toEqual([
      [APP, 'deleted'],
      ['other-app', 'authorized'],
    ].sort());
    expect(gone[1]).toMatchObject({ sourceTime: deletion.currentSyncTime });
    expect(gone[1]!.data.userName).toBe('bob');
    expect(gone[1]!.data.apps.find((a: { appId: string }) => a.appId === 'other-app')).toMatchObject({ authorized: true });
    expect(lastState.apps).toHaveLength(2);

    // Older than what is stored: stale, nothing.
    await ok('authSync', { ...authSync([user('ann', { name: 'old' })], { tenantId }), currentSyncTime: add.currentSyncTime });
    expect(await lastAudit(s.rt.db)).toMatchObject({ outcome: 'stale' });
    expect(await newEvents()).toEqual([]);
  });

  it('authSync of 1,200 users: one event each, read and compared in a few statements', async () => {
    const tenantId = 'events-auth-many';
    await ok('tenantSync', tenantSync({ tenantId }));
    await newEvents();
    const many = Array.from({ length: 1200 }, (_, i) => user(`many${String(i).padStart(4, '0')}`));
    const seen = await statementsOn(s.rt.db, 'user_apps', () => ok('authSync', authSync(many, { tenantId })));
    const events = await newEvents();
    expect(events).toHaveLength(1200);
    expect(new Set(types(events))).toEqual(new Set(['user.authorized']));
    expect(events.map((e) => e.data.userName)).toEqual(many.map((u) => u.userName));
    // Two chunks: read before, write, read after (user_apps), far from one per user.
    expect(seen.reads.length + seen.writes.length).toBeLessThanOrEqual(6);
  });

  it('singleOrgSync: created with its path, updated with what it was, deleted with its last state', async () => {
    const tenantId = 'events-single';
    await ok('tenantSync', tenantSync({ tenantId }));
    await ok('singleOrgSync', singleOrgSync('root', null, { tenantId }));
    await ok('singleOrgSync', singleOrgSync('other', null, { tenantId }));
    await newEvents();
    const add = singleOrgSync('team', 'root', { tenantId });
    await ok('singleOrgSync', add);
    const [created] = await newEvents();
    expect(created).toMatchObject({ type: 'department.created', tenantId, sourceTime: add.timeStamp, testFlag: false });
    expect(created!.data).toEqual({ instanceId: INSTANCE, tenantId, ...(await departmentsShown(tenantId)).find((d: { orgCode: string }) => d.orgCode === 'team') });
    expect(created!.data).toMatchObject({ path: '/root/team', settled: true, parentCode: 'root' });

    await ok('singleOrgSync', singleOrgSync('team', 'root', { tenantId }));
    expect(await newEvents()).toEqual([]);
    await ok('singleOrgSync', singleOrgSync('team', 'root', { tenantId, flag: 2, orgName: 'Team A' }));
    await ok('singleOrgSync', singleOrgSync('team', 'other', { tenantId, flag: 2, orgName: 'Team A' }));
    const updated = await newEvents();
    expect(updated.map((e) => [e.type, e.data.orgName, e.data.path, e.data.previousOrgName, e.data.previousParentCode])).toEqual([
      ['department.updated', 'Team A', '/root/team', 'Dept team', 'root'],
      ['department.updated', 'Team A', '/other/team', 'Team A', 'root'],
    ]);

    expect((await s.kit('singleOrgSync', singleOrgSync('team', 'team', { tenantId, flag: 2 }))).resultCode).toBe('000002');
    const stale = singleOrgSync('team', 'root', { tenantId, flag: 2 });
    await ok('singleOrgSync', { ...stale, timeStamp: add.timeStamp });
    expect(await newEvents()).toEqual([]);

    const removal = singleOrgSync('team', null, { tenantId, flag: 0 });
    await ok('singleOrgSync', removal);
    const [deleted] = await newEvents();
    expect(deleted).toMatchObject({ type: 'department.deleted', sourceTime: removal.timeStamp, data: { orgCode: 'team', orgName: 'Team A', parentCode: 'other', path: '/other/team' } });
    await ok('singleOrgSync', singleOrgSync('team', null, { tenantId, flag: 0 }));
    expect(await newEvents()).toEqual([]);
  });

  it('allOrgSync: exactly the departments the diff names, paths from the tree, counted as in the audit', async () => {
    const tenantId = 'events-full';
    await ok('tenantSync', tenantSync({ tenantId }));
    await newEvents();
    const tree = departmentTree(2000, 'F-');
    await ok('allOrgSync', allOrgSync(tree, { tenantId }));
    const first = await newEvents();
    expect(first).toHaveLength(2000);
    expect(new Set(types(first))).toEqual(new Set(['department.created']));
    const shown = new Map((await s.api(`/api/v1/tenants/${tenantId}/departments?instanceId=${INSTANCE}&pageSize=1000&page=2`)).body.items.map((d: { orgCode: string }) => [d.orgCode, d]));
    for (const e of first.filter((e) => shown.has(e.data.orgCode))) expect(e.data).toEqual({ instanceId: INSTANCE, tenantId, ...(shown.get(e.data.orgCode) as object) });
    expect(shown.size).toBe(1000);

    await ok('allOrgSync', allOrgSync(tree, { tenantId }));
    expect(await newEvents()).toEqual([]);

    // Three moves (leaves to the root), two removals (leaves), one new department.
    const leaves = tree.filter((d) => !tree.some((c) => c.parentCode === d.orgCode)).map((d) => d.orgCode);
    const [m1, m2, m3, r1, r2] = leaves;
    const next = tree
      .filter((d) => d.orgCode !== r1 && d.orgCode !== r2)
      .map((d) => ([m1, m2, m3].includes(d.orgCode) ? { ...d, parentCode: 'F-0000000' } : d))
      .concat(dept('F-new', 'F-0000000'));
    const sync = allOrgSync(next, { tenantId });
    await ok('allOrgSync', sync);
    const changed = await newEvents();
    expect(changed.map((e) => [e.type, e.data.orgCode])).toEqual([
      ['department.created', 'F-new'],
      ...[m1, m2, m3].sort().map((c) => ['department.updated', c]),
      ...[r1, r2].sort().map((c) => ['department.deleted', c]),
    ]);
    const moved = changed.find((e) => e.data.orgCode === m1)!;
    expect(moved.data).toMatchObject({ parentCode: 'F-0000000', path: `/F-0000000/${m1}`, previousParentCode: tree.find((d) => d.orgCode === m1)!.parentCode });
    expect(changed.find((e) => e.data.orgCode === r1)!.data.path).toMatch(new RegExp(`^/F-0000000/.*${r1}$`));
    expect(changed.every((e) => e.sourceTime === sync.timeStamp)).toBe(true);
    expect((await lastAudit(s.rt.db, 'allOrgSync')).detail).toMatchObject({ created: 1, changed: 3, removed: 2 });

    // A snapshot that loops in itself is refused: no events.
    expect((await s.kit('allOrgSync', allOrgSync([dept('x', 'y'), dept('y', 'x')], { tenantId }))).resultCode).toBe('000002');
    expect(await newEvents()).toEqual([]);
  });

  it('allOrgSync: paths also run through departments a newer or as recent call wrote beside the snapshot', async () => {
    const tenantId = 'events-standing';
    await ok('tenantSync', tenantSync({ tenantId }));
    await ok('allOrgSync', allOrgSync([dept('root'), dept('a', 'root')], { tenantId }));
    const [same, newer] = [later(), later()];
    // Not listed in the snapshot below: one written after it was taken, one at its very time.
    await ok('singleOrgSync', singleOrgSync('n', 'root', { tenantId, timeStamp: newer }));
    await ok('singleOrgSync', singleOrgSync('k', 'root', { tenantId, timeStamp: same }));
    await newEvents();
    await ok('allOrgSync', allOrgSync([dept('root'), dept('a', 'root'), dept('c1', 'n'), dept('c2', 'k')], { tenantId, timeStamp: same }));
    const created = (await newEvents()).map((e) => [e.type, e.data.orgCode, e.data.path]);
    expect(created).toEqual([
      ['department.created', 'c1', '/root/n/c1'],
      ['department.created', 'c2', '/root/k/c2'],
    ]);
  });

  it('a held full sync emits nothing until the merchant applies it, then its events', async () => {
    const tenantId = 'events-held';
    await ok('tenantSync', tenantSync({ tenantId }));
    const tree = Array.from({ length: 30 }, (_, i) => dept(`H${i}`));
    await ok('allOrgSync', allOrgSync(tree, { tenantId }));
    await newEvents();
    const held = allOrgSync(tree.slice(0, 5), { tenantId });
    expect(await s.kit('allOrgSync', held)).toMatchObject({ resultCode: '000005' });
    expect(await newEvents()).toEqual([]);
    const id = (await s.api(`/api/v1/held-syncs?tenantId=${tenantId}`)).body.items[0].id;
    expect((await s.api(`/api/v1/held-syncs/${id}/apply`, undefined, 'POST')).status).toBe(200);
    const applied = await newEvents();
    expect(applied).toHaveLength(25);
    expect(applied.every((e) => e.type === 'department.deleted' && e.sourceTime === held.timeStamp)).toBe(true);
    expect((await s.api(`/api/v1/held-syncs/${id}/apply`, undefined, 'POST')).status).toBe(200);
    expect(await newEvents()).toEqual([]);
  });

  it('test data: events carry the call’s testFlag', async () => {
    const tenantId = 'events-debug';
    await ok('tenantSync', tenantSync({ tenantId, testFlag: 1 }));
    await ok('singleOrgSync', singleOrgSync('dbg', null, { tenantId, testFlag: 1 }));
    const events = await newEvents();
    expect(events.map((e) => [e.type, e.testFlag])).toEqual([
      ['tenant.created', true],
      ['department.created', true],
    ]);
  });

  it.each([
    ['tenantSync', (tenantId: string) => tenantSync({ tenantId, name: 'dup' }), 1],
    ['authSync', (tenantId: string) => authSync([user('c1'), user('c2')], { tenantId }), 2],
    ['singleOrgSync', (tenantId: string) => singleOrgSync('dup', null, { tenantId }), 1],
  ] as const)('20 concurrent identical %s calls (new nonces) write one set of events', async (call, body, expected) => {
    const tenantId = `events-concurrent-${call}`;
    if (call !== 'tenantSync') await ok('tenantSync', tenantSync({ tenantId }));
    await newEvents();
    const same = body(tenantId);
    const answers = await Promise.all(Array.from({ length: 20 }, () => s.kit(call, same)));
    expect(answers.map((a) => a.resultCode)).toEqual(Array(20).fill('000000'));
    expect(await newEvents()).toHaveLength(expected);
  });
});

describe.each(stores)('reconciling from the directory lists on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());
  const ok = async (call: string, body: unknown) => expect(await s.kit(call, body)).toMatchObject({ resultCode: '000000' });
  const pause = () => new Promise((r) => setTimeout(r, 5));
  const names = (body: { items: Record<string, unknown>[] }, key: string) => body.items.map((i) => (i.deleted === undefined ? i[key] : [i[key], i.deleted]));

  it('updatedSince lists what changed since then; includeDeleted adds the deleted rows, saying so', async () => {
    const t = 'reconcile';
    await ok('tenantSync', tenantSync({ tenantId: t }));
    await ok('tenantSync', tenantSync({ tenantId: 'gone' }));
    await ok('authSync', authSync([user('kept'), user('renamed'), user('reauthorized'), user('dropped')], { tenantId: t }));
    await ok('allOrgSync', allOrgSync([dept('a'), dept('b', 'a'), dept('c', 'b'), dept('d')], { tenantId: t }));
    await pause();
    const since = Date.now();
    await pause();
    // Re-stamps (the same content, newer times) are no change.
    await ok('tenantSync', tenantSync({ tenantId: t }));
    await ok('allOrgSync', allOrgSync([dept('a'), dept('b', 'a'), dept('c', 'b'), dept('d')], { tenantId: t }));
    await ok('authSync', authSync([user('kept')], { tenantId: t }));
    expect((await s.api(`/api/v1/tenants?updatedSince=${since}`)).body.items).toEqual([]);
    expect((await s.api(`/api/v1/tenants/${t}/users?updatedSince=${since}`)).body.items).toEqual([]);
    expect((await s.api(`/api/v1/tenants/${t}/departments?updatedSince=${since}`)).body.items).toEqual([]);

    await ok('tenantSync', tenantSync({ tenantId: 'gone', flag: 0 }));
    await ok('authSync', authSync([user('renamed', { name: 'New' })], { tenantId: t, flag: 2 }));
    await ok('authSync', authSync([user('reauthorized', { role: 'admin' })], { tenantId: t, flag: 2 }));
    await ok('authSync', authSync([user('dropped')], { tenantId: t, flag: 0 }));
    await ok('allOrgSync', allOrgSync([dept('b', 'd'), dept('c', 'b'), dept('d')], { tenantId: t }));

    const iso = new Date(since).toISOString();
    expect(names((await s.api(`/api/v1/tenants?updatedSince=${iso}`)).body, 'tenantId')).toEqual([]);
    expect(names((await s.api(`/api/v1/tenants?updatedSince=${since}&includeDeleted=true`)).body, 'tenantId')).toEqual([['gone', true]]);
    expect(names((await s.api(`/api/v1/tenants?includeDeleted=true`)).body, 'tenantId')).toEqual([
      ['gone', true],
      [t, false],
    ]);
    expect(names((await s.api(`/api/v1/tenants`)).body, 'tenantId')).toEqual([t]);

    const users = `/api/v1/tenants/${t}/users`;
    expect(names((await s.api(`${users}?updatedSince=${since}`)).body, 'userName')).toEqual(['reauthorized', 'renamed']);
    expect(names((await s.api(`${users}?updatedSince=${since}&includeDeleted=true`)).body, 'userName')).toEqual([
      ['dropped', true],
      ['reauthorized', false],
      ['renamed', false],
    ]);
    expect((await s.api(users)).body.total).toBe(3);

    const departments = `/api/v1/tenants/${t}/departments`;
    const changed = (await s.api(`${departments}?updatedSince=${since}&includeDeleted=true`)).body.items;
    // c moved with b, but its own row did not change: a receiver learns its new path from b's.
    expect(changed.map((d: { orgCode: string; path: string; deleted: boolean }) => [d.orgCode, d.path, d.deleted])).toEqual([
      ['a', '/a', true],
      ['b', '/d/b', false],
    ]);
    expect(names((await s.api(`${departments}?updatedSince=${since}`)).body, 'orgCode')).toEqual(['b']);

    // A deleted tenant's lists, when asked with includeDeleted: what it had, all deleted.
    expect((await s.api(`/api/v1/tenants/gone/users`)).status).toBe(404);
    expect((await s.api(`/api/v1/tenants/gone/users?includeDeleted=true`)).body).toMatchObject({ tenantId: 'gone', items: [] });

    expect((await s.api(`/api/v1/tenants?updatedSince=yesterday`)).status).toBe(400);
    expect((await s.api(`/api/v1/tenants?includeDeleted=yes`)).status).toBe(400);
  });
});

/** A call that fails after it wrote (here: its answer due before the store let it commit) writes no event. */
describe.each(stores)('a call that rolls back on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { MARKETPLACE_CALL_TIMEOUT_SECONDS: '1.5' });
  });
  afterAll(() => s.stop());

  it('writes neither its rows nor its events; the retry writes both once', async () => {
    const body = tenantSync({ tenantId: 'rolled-back' });
    // MySQL: the call writes its rows, then waits for the events counter; SQLite: the store's write lock.
    const answer = await whileStoreHeld(s, ["SELECT * FROM event_sequence WHERE name = 'events' FOR UPDATE", []], () => s.kit('tenantSync', body));
    expect(answer).toMatchObject({ resultCode: '000005' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await s.rt.db('events').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await s.rt.db('tenants').where({ tenant_id: 'rolled-back' }).first()).toBeUndefined();
    await expect(s.kit('tenantSync', body)).resolves.toMatchObject({ resultCode: '000000' });
    expect((await s.api('/api/v1/events')).body.data.map((e: Event) => e.type)).toEqual(['tenant.created']);
  });
});
