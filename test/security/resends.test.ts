import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, tenantSync } from '../helpers/fixtures.js';
import { rowCount } from '../helpers/snapshot.js';
import { newInstance, updateInstanceStatus } from '../lifecycle/bodies.js';

/**
 * The marketplace may send a request again, byte for byte, when it lost the answer. That request
 * did its work the first time: it is told the same answer and does nothing. A nonce still vouches
 * for one request only.
 */
describe.each(stores)('byte-identical resends on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  /** The same credentials for every send: with the same body, the same bytes. */
  const sameCredentials = () => ({ nonce: nonce(), timestamp: String(Date.now()) });
  const audits = (n: string) => s.rt.db('audit_log').where({ nonce: n }).orderBy('id').select('outcome', 'result_code');

  it('a resent newInstance gets the answer of the first, with the same instanceId, and creates nothing', async () => {
    const body = JSON.stringify(newInstance());
    const creds = sameCredentials();
    const first = await s.basic(body, creds);
    expect(first).toMatchObject({ resultCode: '000000', instanceId: expect.any(String) });
    const before = await rowCount(s.rt.db, 'instance_orders');
    expect(await s.basic(body, creds)).toEqual(first);
    expect(await s.basic(body, creds)).toEqual(first);
    expect(await rowCount(s.rt.db, 'instance_orders')).toBe(before);
    expect(await audits(creds.nonce)).toEqual([
      { outcome: 'applied', result_code: '000000' },
      { outcome: 'replayed', result_code: '000000' },
      { outcome: 'replayed', result_code: '000000' },
    ]);
  });

  it('a resent tenantSync gets success again and writes nothing', async () => {
    const body = JSON.stringify(tenantSync({ instanceId: 'resend-instance', name: 'first name' }));
    const creds = sameCredentials();
    expect(await s.kit('tenantSync', body, creds)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    await s.rt.db('tenants').where({ instance_id: 'resend-instance' }).update({ name: 'changed since' });
    expect(await s.kit('tenantSync', body, creds)).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect((await s.api(`/api/v1/tenants/${TENANT}?instanceId=resend-instance`)).body.name).toBe('changed since');
  });

  it('two identical requests at once both get the one answer; the call is applied once', async () => {
    const body = JSON.stringify(newInstance());
    const creds = sameCredentials();
    const answers = await Promise.all([s.basic(body, creds), s.basic(body, creds), s.basic(body, creds)]);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ resultCode: '000000' });
    expect((await audits(creds.nonce)).map((a) => a.outcome).sort()).toEqual(['applied', 'replayed', 'replayed']);
  });

  it('a resent refused call gets its refusal again, even once what it lacked exists', async () => {
    const body = JSON.stringify(updateInstanceStatus('resend-not-yet', 'FREEZE'));
    const creds = sameCredentials();
    const refused = await s.basic(body, creds);
    expect(refused.resultCode).toBe('000003');
    await s.basic(newInstance({ businessId: 'resend-not-yet' }));
    expect(await s.basic(body, creds)).toEqual(refused);
    expect((await s.api('/api/v1/instances/resend-not-yet')).body.status).toBe('active');
  });

  it('a reused nonce with a different body, timestamp or address is still refused (000001), changing nothing', async () => {
    const creds = sameCredentials();
    const body = tenantSync({ instanceId: 'resend-other', name: 'original' });
    expect((await s.kit('tenantSync', JSON.stringify(body), creds)).resultCode).toBe('000000');
    const refusedKit = { resultCode: '000001', resultMsg: 'x-nonce: already used; replayed request refused' };
    expect(await s.kit('tenantSync', JSON.stringify({ ...body, name: 'forged' }), creds)).toEqual(refusedKit);
    expect(await s.kit('tenantSync', JSON.stringify(body), { ...creds, timestamp: String(Number(creds.timestamp) + 1) })).toEqual(refusedKit);
    // The kit signature does not cover the path: the same bytes sent to another call are another request.
    expect(await s.kit('applicationSync', JSON.stringify(body), creds)).toEqual(refusedKit);
    expect((await s.api(`/api/v1/tenants/${TENANT}?instanceId=resend-other`)).body.name).toBe('original');

    const basic = sameCredentials();
    const order = newInstance();
    expect((await s.basic(JSON.stringify(order), basic)).resultCode).toBe('000000');
    expect(await s.basic(JSON.stringify({ ...order, businessId: 'another' }), basic)).toEqual({
      resultCode: '000001',
      resultMsg: 'nonce: already used; replayed request refused',
    });
    expect((await s.api('/api/v1/instances/another')).status).toBe(404);
  });
});
