import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { created, upgradeInstance, harness } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('upgradeInstance on %s', (store) => {
  const h = harness(store);

  it('records the upgrade order against the same instance, once however often it is replayed', async () => {
    const id = await created(h.s);
    const body = upgradeInstance(id);
    for (let i = 0; i < 3; i++) expect(await h.s.basic(body)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await rowCount(h.s.rt.db, 'instance_orders', { instance_id: id, kind: 'upgrade' })).toBe(1);
    expect(await lastAudit(h.s.rt.db, 'upgradeInstance')).toMatchObject({ outcome: 'stale', detail: { replay: true } });
    const second = upgradeInstance(id);
    await h.s.basic(second);
    const view = (await h.s.api(`/api/v1/instances/${id}`)).body;
    expect(view.orders.map((o: { kind: string; orderId: string }) => [o.kind, o.orderId])).toEqual([
      ['new', view.orderId],
      ['upgrade', body.orderId],
      ['upgrade', second.orderId],
    ]);
  });

  it('answers 000003 for an instance never created, and success without change for a debug request', async () => {
    expect((await h.s.basic(upgradeInstance('never-created'))).resultCode).toBe('000003');
    expect((await h.s.basic(upgradeInstance('never-created', { testFlag: '1' }))).resultCode).toBe('000000');
    expect(await rowCount(h.s.rt.db, 'instance_orders', { instance_id: 'never-created' })).toBe(0);
  });

  it('refuses an upgrade without orderLineId with 000002 naming it', async () => {
    const id = await created(h.s);
    const { orderLineId: _, ...body } = upgradeInstance(id);
    expect(await h.s.basic(body)).toEqual({ resultCode: '000002', resultMsg: 'orderLineId: is required' });
  });
});
