import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { created, refreshInstance, releaseInstance, harness } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('refreshInstance on %s', (store) => {
  const h = harness(store);

  const instance = async (id: string) => (await h.s.api(`/api/v1/instances/${id}`)).body;

  it.each(['TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'])('%s sets the new expiry and records the order', async (scene) => {
    const id = await created(h.s);
    const body = refreshInstance(id, { scene, expireTime: '20280229235959123', productId: '00301-666666-0--0' });
    expect(await h.s.basic(body)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    const view = await instance(id);
    expect(view).toMatchObject({ status: 'active', expireTime: '20280229235959123', expiresAt: '2028-02-29T23:59:59.123Z', productId: '00301-666666-0--0' });
    expect(view.orders).toMatchObject([{ kind: 'new' }, { kind: 'refresh', scene, orderId: body.orderId, expireTime: '20280229235959123' }]);
  });

  it('pads a 14-digit expireTime and keeps the productId when none is sent', async () => {
    const id = await created(h.s);
    await h.s.basic(refreshInstance(id, { productId: 'P1' }));
    await h.s.basic(refreshInstance(id, { expireTime: '20300101000000' }));
    expect(await instance(id)).toMatchObject({ expireTime: '20300101000000000', productId: 'P1' });
  });

  it('lets a replayed older order change nothing, even after a newer order', async () => {
    const id = await created(h.s);
    const renewal = refreshInstance(id, { expireTime: '20281231000000' });
    const unsubscribe = refreshInstance(id, { scene: 'UNSUBSCRIBE_RENEWAL_PERIOD', expireTime: '20271231000000' });
    await h.s.basic(renewal);
    await h.s.basic(unsubscribe);
    expect((await h.s.basic(renewal)).resultCode).toBe('000000');
    expect((await instance(id)).expireTime).toBe('20271231000000000');
    expect(await rowCount(h.s.rt.db, 'instance_orders', { instance_id: id, kind: 'refresh' })).toBe(2);
    expect(await lastAudit(h.s.rt.db, 'refreshInstance')).toMatchObject({ outcome: 'stale', detail: { replay: true } });
  });

  it('answers 000003 for an instance never created or released, and records nothing', async () => {
    expect(await h.s.basic(refreshInstance('never-created'))).toEqual({ resultCode: '000003', resultMsg: 'instanceId: instance never-created does not exist (never created)' });
    const id = await created(h.s);
    await h.s.basic(releaseInstance(id));
    expect((await h.s.basic(refreshInstance(id))).resultCode).toBe('000003');
    expect(await rowCount(h.s.rt.db, 'instance_orders', { kind: 'refresh', instance_id: id })).toBe(0);
  });

  it('answers a debug refresh (testFlag "1") of an unknown instance with success, changing nothing', async () => {
    expect((await h.s.basic(refreshInstance('huaiweitest123456', { testFlag: '1' }))).resultCode).toBe('000000');
    expect(await rowCount(h.s.rt.db, 'instances', { instance_id: 'huaiweitest123456' })).toBe(0);
    expect(await lastAudit(h.s.rt.db, 'refreshInstance')).toMatchObject({ outcome: 'stale', detail: { debugRequest: 'instance never created; answered without change' } });
  });

  it.each([
    ['20261301000000', 'expireTime: is not a valid UTC date and time'],
    ['20270229000000', 'expireTime: is not a valid UTC date and time'],
    ['2027-01-01', 'expireTime: must be yyyyMMddHHmmss or yyyyMMddHHmmssSSS (UTC)'],
    ['202701010000001', 'expireTime: must be yyyyMMddHHmmss or yyyyMMddHHmmssSSS (UTC)'],
  ])('refuses expireTime %s with 000002', async (expireTime, msg) => {
    const id = await created(h.s);
    expect(await h.s.basic(refreshInstance(id, { expireTime }))).toEqual({ resultCode: '000002', resultMsg: msg });
    expect((await instance(id)).expireTime).toBeNull();
  });

  it('refuses an unknown scene with 000002 naming scene', async () => {
    const id = await created(h.s);
    expect((await h.s.basic(refreshInstance(id, { scene: 'RENEW' }))).resultMsg).toBe(
      'scene: must be one of "TRIAL_TO_FORMAL", "RENEWAL", "UNSUBSCRIBE_RENEWAL_PERIOD", "RENEWAL_CHANGE"',
    );
  });
});
