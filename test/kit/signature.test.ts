import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync } from '../helpers/fixtures.js';
import { canonicalPayload } from '../../src/marketplace/signing.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

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
    const answer = await s.kit('tenantSync', raw, { signedPayload: canonicalPayload(body) });
    expect(answer.resultCode).toBe('000000');
    expect((await lastAudit(s.rt.db)).sign_form).toBe('canonical');
  });

  it('refuses the canonical form when ACCEPT_CANONICAL_PAYLOAD=false', async () => {
    const strict = await startTestServer(store, { ACCEPT_CANONICAL_PAYLOAD: 'false' });
    try {
      const body = tenantSync();
      const raw = JSON.stringify(body, Object.keys(body).reverse());
      expect((await strict.kit('tenantSync', raw, { signedPayload: canonicalPayload(body) })).resultCode).toBe('000001');
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
