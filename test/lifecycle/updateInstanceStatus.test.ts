import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { tenantSync } from '../helpers/fixtures.js';
import { created, queryInstance, updateInstanceStatus, harness } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('updateInstanceStatus on %s', (store) => {
  const h = harness(store);

  const status = async (id: string) => (await h.s.api(`/api/v1/instances/${id}`)).body.status;

  it('freezes keeping the data, then unfreezes, telling the SSO feature each time', async () => {
    const id = await created(h.s);
    await h.s.kit('tenantSync', tenantSync({ instanceId: id }));
    h.changes.length = 0;

    expect(await h.s.basic(updateInstanceStatus(id, 'FREEZE'))).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await status(id)).toBe('frozen');
    expect(await rowCount(h.s.rt.db, 'tenants', { instance_id: id, deleted: 0 })).toBe(1);
    expect(h.changes).toEqual([{ type: 'instance', instanceId: id, status: 'frozen' }]);

    expect((await h.s.basic(updateInstanceStatus(id, 'UNFREEZE'))).resultCode).toBe('000000');
    expect(await status(id)).toBe('active');
    expect(h.changes.at(-1)).toEqual({ type: 'instance', instanceId: id, status: 'active' });
    expect(await lastAudit(h.s.rt.db, 'updateInstanceStatus')).toMatchObject({ outcome: 'applied', detail: { status: 'UNFREEZE', previous: 'frozen' } });
  });

  it('answers a repeated FREEZE with success and changes nothing', async () => {
    const id = await created(h.s);
    await h.s.basic(updateInstanceStatus(id, 'FREEZE'));
    h.changes.length = 0;
    expect((await h.s.basic(updateInstanceStatus(id, 'FREEZE'))).resultCode).toBe('000000');
    expect(h.changes).toEqual([]);
    expect(await lastAudit(h.s.rt.db, 'updateInstanceStatus')).toMatchObject({ outcome: 'stale', detail: { alreadyInStatus: 'frozen' } });
  });

  it('rolls the freeze back when a listener fails in the transaction (no half-applied freeze)', async () => {
    const id = await created(h.s);
    h.s.rt.changes.subscribe({
      inTransaction: async (_trx, c) => {
        if (c.type === 'instance' && c.instanceId === id) throw new Error('session store down');
      },
    });
    expect((await h.s.basic(updateInstanceStatus(id, 'FREEZE'))).resultCode).toBe('000005');
    expect(await status(id)).toBe('active');
  });

  it('answers 000003 for an instance never created, and refuses an unknown status with 000002', async () => {
    expect((await h.s.basic(updateInstanceStatus('never-created', 'FREEZE'))).resultCode).toBe('000003');
    const id = await created(h.s);
    expect(await h.s.basic(updateInstanceStatus(id, 'STOP'))).toEqual({ resultCode: '000002', resultMsg: 'status: must be one of "FREEZE", "UNFREEZE"' });
  });

  it('answers the §8.3 debug fixture (testFlag "1", an instance never created) with success on every replay, creating nothing', async () => {
    const fixture = { activity: 'updateInstanceStatus', instanceId: '10e758d0-31ad-4c4b-8f1b-81d03469a10e', status: 'FREEZE', testFlag: '1' };
    for (let i = 0; i < 3; i++) expect(await h.s.basic(fixture)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await rowCount(h.s.rt.db, 'instances', { instance_id: fixture.instanceId })).toBe(0);
    expect(h.changes).toEqual([]);
  });

  it('freezes a debug instance that exists, so the seller can try a frozen login', async () => {
    const id = await created(h.s, { testFlag: '1' });
    await h.s.basic(updateInstanceStatus(id, 'FREEZE', { testFlag: '1' }));
    expect(await status(id)).toBe('frozen');
    expect((await h.s.basic(queryInstance(id))).resultCode).toBe('000000');
  });
});
