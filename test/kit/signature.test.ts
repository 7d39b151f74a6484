import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { INSTANCE, later, tenantSync } from '../helpers/fixtures.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

/** Top-level keys sorted and nulls dropped, for bodies JSON.stringify writes as Jackson would. */
const sortedTop = (body: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.keys(body).sort().filter((k) => body[k] !== null).map((k) => [k, body[k]])));

/**
 * Bodies where Jackson's form differs from what JSON.parse and JSON.stringify would give, each as
 * members added to a tenantSync (as sent) and where the demo puts them (before or after the rest).
 */
const JACKSON_CASES = [
  { name: 'integer-like keys', raw: '"x":{"10":"ten","9":"nine"},"9":"top nine","10":"top ten"', lead: '"10":"top ten","9":"top nine",', tail: ',"x":{"10":"ten","9":"nine"}' },
  { name: 'floats', raw: '"x":[1.0,100.0,1.5e-7,1e10]', lead: '', tail: ',"x":[1.0,100.0,1.5E-7,1.0E10]' },
  { name: 'integers beyond 2^53', raw: '"x":12345678901234567891,"y":[9007199254740993]', lead: '', tail: ',"x":12345678901234567891,"y":[9007199254740993]' },
  { name: 'control characters', raw: '"x":"unit\\u001fseparator"', lead: '', tail: ',"x":"unit\\u001Fseparator"' },
];

describe.each(stores)('kit signatures on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  it('accepts a signature over the raw body and records the form', async () => {
    expect((await s.kit('tenantSync', tenantSync())).resultCode).toBe('000000');
    expect((await lastAudit(s.rt.db)).sign_form).toBe('raw');
  });

  it("accepts a signature over the Java demo's canonical form (sorted keys, nulls dropped)", async () => {
    const body = { ...tenantSync(), extra: null };
    const raw = JSON.stringify(body, Object.keys(body).reverse()); // unsorted, with a null
    const answer = await s.kit('tenantSync', raw, { signedPayload: sortedTop(body) });
    expect(answer.resultCode).toBe('000000');
    expect((await lastAudit(s.rt.db)).sign_form).toBe('canonical');
  });

  it.each(JACKSON_CASES)("accepts a signature over the bytes Jackson writes: $name", async ({ raw, lead, tail }) => {
    const tenantId = `jackson-${nonce().slice(0, 12)}`;
    const ts = later();
    const body = `{ "tenantId": "${tenantId}", "instanceId": "${INSTANCE}", "tenantCode": "huawei", "name": "Acme", "domainName": "https://example.tenantaccount.com", "flag": 1, "testFlag": 0, "timeStamp": "${ts}", "extra": null, ${raw} }`;
    const java = `{${lead}"domainName":"https://example.tenantaccount.com","flag":1,"instanceId":"${INSTANCE}","name":"Acme","tenantCode":"huawei","tenantId":"${tenantId}","testFlag":0,"timeStamp":"${ts}"${tail}}`;
    expect(await s.kit('tenantSync', body, { signedPayload: java })).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await lastAudit(s.rt.db)).toMatchObject({ tenant_id: tenantId, sign_form: 'canonical', result_code: '000000' });
    expect(await rowCount(s.rt.db, 'tenants', { tenant_id: tenantId })).toBe(1);
  });

  it('refuses the canonical form when ACCEPT_CANONICAL_PAYLOAD=false', async () => {
    const strict = await startTestServer(store, { ACCEPT_CANONICAL_PAYLOAD: 'false' });
    try {
      const body = tenantSync();
      const raw = JSON.stringify(body, Object.keys(body).reverse());
      expect((await strict.kit('tenantSync', raw, { signedPayload: sortedTop(body) })).resultCode).toBe('000001');
    } finally {
      await strict.stop();
    }
  });

  it('refuses a signature made with another key (the basic key) with 000001 and writes nothing', async () => {
    const before = await rowCount(s.rt.db, 'tenants');
    const answer = await s.kit('tenantSync', tenantSync({ tenantId: 'wrong-key-tenant' }), { key: TEST_KEYS.basic });
    expect(answer).toMatchObject({ resultCode: '000001', resultMsg: expect.stringContaining('x-sign') });
    expect(await rowCount(s.rt.db, 'tenants')).toBe(before);
    expect(await lastAudit(s.rt.db)).toMatchObject({ outcome: 'rejected', result_code: '000001' });
  });

  it('refuses a body changed after signing', async () => {
    const body = tenantSync();
    const answer = await s.kit('tenantSync', { ...body, name: 'tampered' }, { signedPayload: JSON.stringify(body) });
    expect(answer.resultCode).toBe('000001');
  });

  it('refuses a timestamp older than 60 s, naming x-timestamp', async () => {
    const answer = await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() - 61_000) });
    expect(answer).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining('x-timestamp') });
  });

  it('refuses a timestamp more than 60 s in the future', async () => {
    expect((await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() + 61_000) })).resultCode).toBe('000002');
  });

  it('accepts a 10-digit timestamp in seconds', async () => {
    expect((await s.kit('tenantSync', tenantSync(), { timestamp: String(Math.floor(Date.now() / 1000)) })).resultCode).toBe('000000');
  });

  it('refuses a replayed nonce even with a valid signature', async () => {
    const n = nonce();
    const body = tenantSync();
    expect((await s.kit('tenantSync', body, { nonce: n })).resultCode).toBe('000000');
    const replay = await s.kit('tenantSync', body, { nonce: n });
    expect(replay).toMatchObject({ resultCode: '000001', resultMsg: expect.stringContaining('x-nonce') });
  });

  it('asks for each missing header by name', async () => {
    expect((await s.kit('tenantSync', tenantSync(), { headers: { 'x-nonce': '' } })).resultMsg).toContain('x-nonce');
    expect((await s.kit('tenantSync', tenantSync(), { headers: { 'x-timestamp': '' } })).resultMsg).toContain('x-timestamp');
    expect(await s.kit('tenantSync', tenantSync(), { headers: { 'x-sign': '' } })).toMatchObject({ resultCode: '000001', resultMsg: 'x-sign: is required' });
  });
});
