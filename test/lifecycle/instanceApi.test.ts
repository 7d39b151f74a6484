import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { TENANT, tenantSync } from '../helpers/fixtures.js';
import { created, refreshInstance, updateInstanceStatus, harness } from './bodies.js';

describe.each(stores)('GET /api/v1/instances/{instanceId} on %s', (store) => {
  const h = harness(store);

  it('needs the API_TOKEN bearer token', async () => {
    const id = await created(h.s);
    expect((await h.s.api(`/api/v1/instances/${id}`, 'wrong-token')).status).toBe(401);
  });

  it('shows status, expiry, orders and tenants', async () => {
    const id = await created(h.s, { testFlag: '1' });
    await h.s.basic(updateInstanceStatus(id, 'FREEZE'));
    await h.s.basic(refreshInstance(id, { scene: 'TRIAL_TO_FORMAL', expireTime: '20271231160000', productId: 'P-2' }));
    await h.s.kit('tenantSync', tenantSync({ instanceId: id, name: '华为测试' }));
    const { status, body } = await h.s.api(`/api/v1/instances/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      instanceId: id,
      status: 'frozen',
      createdByNewInstance: true,
      productId: 'P-2',
      expireTime: '20271231160000000',
      expiresAt: '2027-12-31T16:00:00.000Z',
      testFlag: true,
      orders: [{ kind: 'new', testFlag: true }, { kind: 'refresh', scene: 'TRIAL_TO_FORMAL', productId: 'P-2', testFlag: false }],
      tenants: [{ tenantId: TENANT, name: '华为测试' }],
      tenantCount: 1,
    });
  });

  it('shows an instance known only from kit calls as active, and answers 404 for one nobody mentioned', async () => {
    await h.s.kit('tenantSync', tenantSync({ instanceId: 'kit-only-instance' }));
    expect((await h.s.api('/api/v1/instances/kit-only-instance')).body).toMatchObject({ status: 'active', createdByNewInstance: false, orders: [], tenantCount: 1 });
    expect((await h.s.api('/api/v1/instances/nobody-mentioned')).status).toBe(404);
  });
});
