import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { newInstance, harness } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

describe.each(stores)('newInstance on %s', (store) => {
  const h = harness(store);

  it('answers 000000 with the businessId of the first request as instanceId', async () => {
    const body = newInstance();
    const answer = await h.s.basic(body);
    expect(answer).toEqual({ resultCode: '000000', resultMsg: 'Success', instanceId: body.businessId });
    expect(await h.s.rt.db('instances').where({ instance_id: body.businessId }).first()).toMatchObject({
      status: 'active',
      order_id: body.orderId,
      order_line_id: body.orderLineId,
    });
  });

  it('answers a repeated order (a new businessId, as the marketplace sends) with the first instanceId and creates nothing', async () => {
    const first = newInstance();
    await h.s.basic(first);
    const again = await h.s.basic({ ...first, businessId: 'another-business-id' });
    expect(again).toMatchObject({ resultCode: '000000', instanceId: first.businessId });
    expect(await rowCount(h.s.rt.db, 'instances', { order_id: first.orderId })).toBe(1);
    expect(await rowCount(h.s.rt.db, 'instances', { instance_id: 'another-business-id' })).toBe(0);
    expect(await lastAudit(h.s.rt.db, 'newInstance')).toMatchObject({ outcome: 'stale', instance_id: first.businessId, detail: { created: false } });
  });

  it('gives 20 concurrent duplicates one instance row and one instanceId', async () => {
    const body = newInstance();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.s.basic({ ...body, businessId: `${body.businessId}-${i}` })));
    expect(answers.map((a) => a.resultCode)).toEqual(Array(20).fill('000000'));
    const ids = new Set(answers.map((a) => a.instanceId));
    expect(ids.size).toBe(1);
    expect(await rowCount(h.s.rt.db, 'instances', { order_id: body.orderId, order_line_id: body.orderLineId })).toBe(1);
    expect(await rowCount(h.s.rt.db, 'instance_orders', { order_id: body.orderId, kind: 'new' })).toBe(1);
    const [instanceId] = [...ids];
    expect((await h.s.rt.db('instances').where({ order_id: body.orderId }).first()).instance_id).toBe(instanceId);
  });

  it('treats another order line of the same order as another instance', async () => {
    const body = newInstance();
    const a = await h.s.basic(body);
    const b = await h.s.basic(newInstance({ orderId: body.orderId, orderLineId: `${body.orderId}-000002` }));
    expect(a.instanceId).not.toBe(b.instanceId);
  });

  it('gives an order its own instanceId when its businessId already names another order’s instance', async () => {
    const first = newInstance();
    await h.s.basic(first);
    const other = newInstance({ businessId: first.businessId });
    const answer = await h.s.basic(other);
    expect(answer.resultCode).toBe('000000');
    expect(answer.instanceId).not.toBe(first.businessId);
    expect(await h.s.basic({ ...other, businessId: 'x' })).toMatchObject({ instanceId: answer.instanceId });
    expect((await lastAudit(h.s.rt.db, 'newInstance')).detail).toMatchObject({ created: false, businessIdIgnored: true });
  });

  it('answers the §7.1 debug example (testFlag "1") with the same instanceId on every replay, as dial-testing needs', async () => {
    const example = {
      activity: 'newInstance',
      businessId: '87b94795-0603-4e24-8ae5-69420d60e3c8',
      orderId: 'CS2211181819B4LVS',
      orderLineId: 'CS2211181819B4LVS-000001',
      testFlag: '1',
    };
    for (let i = 0; i < 3; i++) {
      expect(await h.s.basic(example)).toEqual({ resultCode: '000000', resultMsg: 'Success', instanceId: example.businessId });
    }
    expect(await h.s.rt.db('instances').where({ instance_id: example.businessId }).first()).toMatchObject({ status: 'active' });
    expect((await h.s.api(`/api/v1/instances/${example.businessId}`)).body).toMatchObject({ testFlag: true, status: 'active' });
  });
});
