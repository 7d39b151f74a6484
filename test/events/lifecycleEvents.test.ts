import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, type TestServer } from '../helpers/server.js';
import { TENANT, tenantSync } from '../helpers/fixtures.js';
import { eventBounds, type DirectoryEvent } from '../../src/store/events.js';
import { created, harness, newInstance, refreshInstance, releaseInstance, updateInstanceStatus, upgradeInstance } from '../lifecycle/bodies.js';

const INSTANCE_TYPES = 'instance.created,instance.renewed,instance.upgraded,instance.frozen,instance.unfrozen,instance.released';

/** The last sequence handed out: events after it are the ones the calls that follow write. */
const cursor = async (s: TestServer) => (await eventBounds(s.rt.db)).last;

/** The instance events after the cursor, as GET /api/v1/events serves them. */
async function instanceEvents(s: TestServer, after: number) {
  const { status, body } = await s.api(`/api/v1/events?after=${after}&limit=1000&types=${INSTANCE_TYPES}`);
  expect(status).toBe(200);
  return body.data as DirectoryEvent[];
}

const view = async (s: TestServer, instanceId: string) => (await s.api(`/api/v1/instances/${instanceId}`)).body;
const ok = (answer: { resultCode: string }) => expect(answer.resultCode).toBe('000000');

describe.each(stores)('instance lifecycle events on %s', (store) => {
  const h = harness(store);

  it('newInstance emits instance.created with the instance as the instance API shows it; a duplicate order and a resend emit none', async () => {
    const start = await cursor(h.s);
    const body = newInstance();
    const first = await h.s.basic(body);
    ok(first);
    const id = first.instanceId as string;
    const events = await instanceEvents(h.s, start);
    expect(events).toEqual([
      expect.objectContaining({ type: 'instance.created', instanceId: id, tenantId: null, testFlag: false, sourceTime: null, data: await view(h.s, id) }),
    ]);
    expect(events[0]!.data).toMatchObject({ status: 'active', orderId: body.orderId, orders: [{ kind: 'new' }] });

    const after = await cursor(h.s);
    // The marketplace retries with a new businessId and nonce; the same request resent keeps its nonce.
    expect(await h.s.basic({ ...body, businessId: 'retried-business-id' })).toMatchObject({ resultCode: '000000', instanceId: id });
    const fixed = { nonce: nonce(), timestamp: String(Date.now()) };
    await h.s.basic({ ...body, businessId: 'resent' }, fixed);
    await h.s.basic({ ...body, businessId: 'resent' }, fixed);
    expect(await instanceEvents(h.s, after)).toEqual([]);
  });

  it("the body's timeStamp becomes the sourceTime; a timeStamp not in yyyyMMddHHmmssSSS is ignored, the call still succeeds", async () => {
    const start = await cursor(h.s);
    const a = await created(h.s, { timeStamp: '20261204101500123' });
    const b = await created(h.s, { timeStamp: 'yesterday' });
    expect((await instanceEvents(h.s, start)).map((e) => [e.instanceId, e.sourceTime])).toEqual([
      [a, '20261204101500123'],
      [b, null],
    ]);
  });

  it('a debug newInstance (testFlag "1") emits instance.created with testFlag true', async () => {
    const start = await cursor(h.s);
    const id = await created(h.s, { testFlag: '1' });
    expect(await instanceEvents(h.s, start)).toEqual([expect.objectContaining({ type: 'instance.created', instanceId: id, testFlag: true })]);
  });

  it('refreshInstance emits instance.renewed for each new order with the new expiry; a resent order, a replay and refused calls emit none', async () => {
    const id = await created(h.s);
    const start = await cursor(h.s);
    const renewal = refreshInstance(id, { scene: 'RENEWAL', expireTime: '20281231160000' });
    ok(await h.s.basic(renewal));
    const change = refreshInstance(id, { scene: 'RENEWAL_CHANGE', expireTime: '20291231160000', productId: 'P-YEARLY' });
    ok(await h.s.basic(change));
    const events = await instanceEvents(h.s, start);
    expect(events.map((e) => [e.type, e.data.expireTime, e.data.productId])).toEqual([
      ['instance.renewed', '20281231160000000', null],
      ['instance.renewed', '20291231160000000', 'P-YEARLY'],
    ]);
    expect(events[1]!.data).toEqual(await view(h.s, id));

    const after = await cursor(h.s);
    ok(await h.s.basic(renewal)); // the first order again, new nonce: changes nothing
    const fixed = { nonce: nonce(), timestamp: String(Date.now()) };
    const third = refreshInstance(id, { expireTime: '20301231160000' });
    ok(await h.s.basic(third, fixed));
    ok(await h.s.basic(third, fixed)); // the same request resent: answered as before
    expect((await h.s.basic(refreshInstance(id, { expireTime: '2030-12-31' }))).resultCode).toBe('000002');
    expect((await h.s.basic(refreshInstance('never-created'))).resultCode).toBe('000003');
    ok(await h.s.basic(refreshInstance('never-created', { testFlag: '1' })));
    expect((await instanceEvents(h.s, after)).map((e) => [e.type, e.data.expireTime])).toEqual([['instance.renewed', '20301231160000000']]);
  });

  it('upgradeInstance emits instance.upgraded with the upgrade order; the same order again emits none', async () => {
    const id = await created(h.s);
    const start = await cursor(h.s);
    const upgrade = upgradeInstance(id);
    ok(await h.s.basic(upgrade));
    ok(await h.s.basic(upgrade));
    const events = await instanceEvents(h.s, start);
    expect(events).toEqual([expect.objectContaining({ type: 'instance.upgraded', instanceId: id, data: await view(h.s, id) })]);
    expect(events[0]!.data.orders).toEqual([expect.objectContaining({ kind: 'new' }), expect.objectContaining({ kind: 'upgrade', orderId: upgrade.orderId })]);
  });

  it('FREEZE emits instance.frozen and UNFREEZE instance.unfrozen, only when the status changes', async () => {
    const id = await created(h.s);
    const start = await cursor(h.s);
    for (const status of ['FREEZE', 'FREEZE', 'UNFREEZE', 'UNFREEZE']) ok(await h.s.basic(updateInstanceStatus(id, status)));
    expect((await instanceEvents(h.s, start)).map((e) => [e.type, e.data.status])).toEqual([
      ['instance.frozen', 'frozen'],
      ['instance.unfrozen', 'active'],
    ]);
  });

  it('a late FREEZE (recorded, not applied) emits nothing', async () => {
    const id = await created(h.s);
    ok(await h.s.basic(refreshInstance(id, { expireTime: '20301231160000' })));
    const start = await cursor(h.s);
    ok(await h.s.basic(updateInstanceStatus(id, 'FREEZE')));
    expect((await view(h.s, id)).status).toBe('active');
    expect(await instanceEvents(h.s, start)).toEqual([]);
  });

  it('releaseInstance emits instance.released (no tenants left in its data); a second release emits none', async () => {
    const id = await created(h.s);
    await h.s.kit('tenantSync', tenantSync({ instanceId: id }));
    const start = await cursor(h.s);
    ok(await h.s.basic(releaseInstance(id)));
    ok(await h.s.basic(releaseInstance(id)));
    const events = await instanceEvents(h.s, start);
    expect(events).toEqual([expect.objectContaining({ type: 'instance.released', instanceId: id, testFlag: false, data: await view(h.s, id) })]);
    expect(events[0]!.data).toMatchObject({ status: 'released', tenants: [], tenantCount: 0 });
    // Released: the other calls answer 000003 and emit nothing.
    expect((await h.s.basic(updateInstanceStatus(id, 'FREEZE'))).resultCode).toBe('000003');
    expect(await instanceEvents(h.s, start)).toHaveLength(1);
  });

  it('a debug release emits instance.released with the last state of the debug instance it forgets; debug calls naming unknown ids emit none', async () => {
    const id = await created(h.s, { testFlag: '1' });
    await h.s.kit('tenantSync', tenantSync({ instanceId: id, testFlag: 1 }));
    const start = await cursor(h.s);
    ok(await h.s.basic(releaseInstance(id, { testFlag: '1' })));
    ok(await h.s.basic(releaseInstance(id, { testFlag: '1' })));
    for (const call of [updateInstanceStatus('unknown-debug-id', 'FREEZE', { testFlag: '1' }), upgradeInstance('unknown-debug-id', { testFlag: '1' })]) ok(await h.s.basic(call));
    const events = await instanceEvents(h.s, start);
    expect(events).toEqual([expect.objectContaining({ type: 'instance.released', instanceId: id, testFlag: true })]);
    expect(events[0]!.data).toMatchObject({ instanceId: id, status: 'released', testFlag: true, tenants: [{ tenantId: TENANT }] });
    expect((await h.s.api(`/api/v1/instances/${id}`)).status).toBe(404);
  });

  it('a debug call naming a real instance changes nothing and emits nothing', async () => {
    const id = await created(h.s);
    const start = await cursor(h.s);
    for (const call of [updateInstanceStatus(id, 'FREEZE', { testFlag: '1' }), releaseInstance(id, { testFlag: '1' }), refreshInstance(id, { testFlag: '1' })]) ok(await h.s.basic(call));
    expect(await instanceEvents(h.s, start)).toEqual([]);
  });

  it('20 concurrent duplicates of newInstance (different businessIds and nonces) emit one instance.created', async () => {
    const body = newInstance();
    const start = await cursor(h.s);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.s.basic({ ...body, businessId: `${body.businessId}-${i}` })));
    expect(new Set(answers.map((a) => `${a.resultCode} ${a.instanceId}`)).size).toBe(1);
    expect(await instanceEvents(h.s, start)).toEqual([expect.objectContaining({ type: 'instance.created', instanceId: answers[0]!.instanceId })]);
  });

  it('20 concurrent FREEZEs, and 20 concurrent resends of one renewal order, emit one event each', async () => {
    const id = await created(h.s);
    const start = await cursor(h.s);
    const renewal = refreshInstance(id, { expireTime: '20200101000000' });
    await Promise.all(Array.from({ length: 20 }, () => h.s.basic(renewal)));
    await Promise.all(Array.from({ length: 20 }, () => h.s.basic(updateInstanceStatus(id, 'FREEZE'))));
    expect((await instanceEvents(h.s, start)).map((e) => e.type)).toEqual(['instance.renewed', 'instance.frozen']);
  });
});

describe.each(stores)('GET /api/v1/instances on %s', (store) => {
  const h = harness(store);
  const list = async (query = '') => {
    const { status, body } = await h.s.api(`/api/v1/instances${query}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const ids = (body: { items: { instanceId: string }[] }) => body.items.map((i) => i.instanceId);

  it('lists instances in instanceId order, a page at a time, filtered by status, updatedSince and includeDeleted', async () => {
    for (const name of ['inst-c', 'inst-a', 'inst-d', 'inst-b']) await created(h.s, { businessId: name, productId: 'P-1' });
    await h.s.kit('tenantSync', tenantSync({ instanceId: 'inst-a' }));
    await h.s.kit('tenantSync', tenantSync({ instanceId: 'inst-a', tenantId: 'second-tenant' }));
    // Only in the tenant directory (no newInstance): not an instance the list knows.
    await h.s.kit('tenantSync', tenantSync({ instanceId: 'kit-only' }));
    ok(await h.s.basic(refreshInstance('inst-b', { expireTime: '20301231160000', productId: 'P-2' })));
    ok(await h.s.basic(releaseInstance('inst-d')));
    await new Promise((r) => setTimeout(r, 5));
    const since = Date.now();
    ok(await h.s.basic(updateInstanceStatus('inst-c', 'FREEZE')));

    const all = await list();
    expect(all).toMatchObject({ page: 1, pageSize: 100, total: 3 });
    expect(ids(all)).toEqual(['inst-a', 'inst-b', 'inst-c']);
    expect(all.items[0]).toEqual({
      instanceId: 'inst-a',
      status: 'active',
      orderId: expect.any(String),
      productId: 'P-1', // a newInstance body's productId is kept (pay-per-use orders)
      expireTime: null,
      expiresAt: null,
      testFlag: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      tenantCount: 2,
    });
    expect(all.items[1]).toMatchObject({ instanceId: 'inst-b', productId: 'P-2', expireTime: '20301231160000000', expiresAt: '2030-12-31T16:00:00.000Z', tenantCount: 0 });
    // The compact view agrees with the instance's own view.
    const single = (await h.s.api('/api/v1/instances/inst-b')).body;
    for (const [k, v] of Object.entries(all.items[1])) expect(single[k], k).toEqual(v);

    expect(ids(await list('?includeDeleted=true'))).toEqual(['inst-a', 'inst-b', 'inst-c', 'inst-d']);
    expect(await list('?status=released')).toMatchObject({ total: 1, items: [{ instanceId: 'inst-d', status: 'released' }] });
    expect(ids(await list('?status=frozen'))).toEqual(['inst-c']);
    expect(ids(await list('?status=active'))).toEqual(['inst-a', 'inst-b']);
    expect(ids(await list(`?updatedSince=${since}`))).toEqual(['inst-c']);
    expect(ids(await list(`?updatedSince=${encodeURIComponent(new Date(since).toISOString())}`))).toEqual(['inst-c']);
    expect(ids(await list(`?updatedSince=${since}&includeDeleted=true&status=active`))).toEqual([]);

    const page1 = await list('?pageSize=2&includeDeleted=true');
    const page2 = await list('?pageSize=2&page=2&includeDeleted=true');
    expect([ids(page1), ids(page2)]).toEqual([['inst-a', 'inst-b'], ['inst-c', 'inst-d']]);
    expect(page2).toMatchObject({ page: 2, pageSize: 2, total: 4 });
    expect(ids(await list('?pageSize=2&page=3'))).toEqual([]);
  });

  it('refuses bad parameters with a message naming the field, and asks for the API token', async () => {
    for (const [query, field] of [
      ['?pageSize=1001', 'pageSize'],
      ['?page=0', 'page'],
      ['?status=deleted', 'status'],
      ['?updatedSince=yesterday', 'updatedSince'],
      ['?includeDeleted=yes', 'includeDeleted'],
    ] as const) {
      const { status, body } = await h.s.api(`/api/v1/instances${query}`);
      expect(status, query).toBe(400);
      expect(JSON.stringify(body), query).toContain(field);
    }
    expect((await h.s.api('/api/v1/instances', 'wrong-token')).status).toBe(401);
  });
});
