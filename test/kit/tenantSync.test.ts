import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { INSTANCE, TENANT, later, tenantSync } from '../helpers/fixtures.js';

describe.each(stores)('tenantSync on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const tenant = async (instanceId = INSTANCE) => (await s.api(`/api/v1/tenants/${TENANT}?instanceId=${instanceId}`)).body;

  it('adds a tenant, normalising a domainName without scheme', async () => {
    const answer = await s.kit('tenantSync', tenantSync({ domainName: 'example.tenantaccount.com/' }));
    expect(answer).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await tenant()).toMatchObject({ tenantId: TENANT, instanceId: INSTANCE, tenantCode: 'huawei', domainName: 'https://example.tenantaccount.com' });
  });

  it('modifies name and domainName with flag 2', async () => {
    await s.kit('tenantSync', tenantSync({ flag: 2, name: 'renamed', domainName: 'https://idp.example.com' }));
    expect(await tenant()).toMatchObject({ name: 'renamed', domainName: 'https://idp.example.com' });
  });

  it('keeps newer data when an older call arrives late, answers success and audits it as stale', async () => {
    const older = tenantSync({ name: 'older' });
    const newer = tenantSync({ name: 'newer' });
    expect((await s.kit('tenantSync', newer)).resultCode).toBe('000000');
    expect((await s.kit('tenantSync', older)).resultCode).toBe('000000');
    expect((await tenant()).name).toBe('newer');
    const audit = await s.rt.db('audit_log').where({ call_name: 'tenantSync' }).orderBy('id', 'desc').first();
    expect(audit.outcome).toBe('stale');
  });

  it('deletes with flag 0, and a repeated delete still succeeds', async () => {
    const del = tenantSync({ flag: 0 });
    expect((await s.kit('tenantSync', del)).resultCode).toBe('000000');
    expect((await s.kit('tenantSync', { ...del, timeStamp: later() })).resultCode).toBe('000000');
    expect((await s.api(`/api/v1/tenants/${TENANT}`)).status).toBe(404);
  });

  it('accepts the seller credential application with empty instanceId and orderId, stored as test data', async () => {
    const answer = await s.kit('tenantSync', tenantSync({ instanceId: '', orderId: '', testFlag: 1 }));
    expect(answer.resultCode).toBe('000000');
    expect(await tenant('')).toMatchObject({ instanceId: '', testFlag: true });
  });
});
