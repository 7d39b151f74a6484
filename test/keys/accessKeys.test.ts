import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS, encryptClientSecret, testRsa } from '../helpers/keys.js';
import * as kit from '../helpers/fixtures.js';
import { newInstance } from '../lifecycle/bodies.js';

/** The keys the server was switched to; the test keys (TEST_KEYS, testRsa) are the ones they replace. */
const KIT = 'kit-access-key-after-the-change-0001';
const BASIC = 'basic-access-key-after-the-change-0001';
const TOKENS = ['api-token-of-the-new-application-0001', 'api-token-of-the-old-application-0001'];
const newRsa = generateKeyPairSync('rsa', { modulusLength: 3072 });

describe.each(stores)('previous access keys, RSA key and API tokens during a change on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, {
      KIT_ACCESS_KEY: KIT,
      KIT_ACCESS_KEY_PREVIOUS: TEST_KEYS.kit,
      BASIC_ACCESS_KEY: BASIC,
      BASIC_ACCESS_KEY_PREVIOUS: TEST_KEYS.basic,
      RSA_PRIVATE_KEY: newRsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      RSA_PRIVATE_KEY_PREVIOUS: testRsa().privatePem,
      API_TOKEN: TOKENS.join(','),
    });
    expect(await s.kit('tenantSync', kit.tenantSync(), { key: KIT })).toMatchObject({ resultCode: '000000' });
  });
  afterAll(() => s?.stop());

  const auditOf = async (n: string) => {
    const row = await s.rt.db('audit_log').where({ nonce: n }).first();
    return { ...row, detail: row.detail && JSON.parse(row.detail) };
  };

  it('kit calls signed with the current or the previous key pass, and the audit says which; any other key is refused 000001', async () => {
    for (const [key, which] of [[KIT, 'current'], [TEST_KEYS.kit, 'previous']] as const) {
      const n = nonce();
      expect(await s.kit('tenantSync', kit.tenantSync({ timeStamp: kit.later() }), { key, nonce: n })).toMatchObject({ resultCode: '000000' });
      expect(await auditOf(n)).toMatchObject({ outcome: 'applied', detail: { key: which } });
    }
    // The Java demo's re-serialised form (keys sorted) is tried with both keys too.
    const n = nonce();
    const body = kit.tenantSync({ timeStamp: kit.later() });
    const sent = JSON.stringify(body, Object.keys(body).reverse());
    expect(await s.kit('tenantSync', sent, { key: TEST_KEYS.kit, nonce: n, signedPayload: JSON.stringify(body, Object.keys(body).sort()) })).toMatchObject({ resultCode: '000000' });
    expect(await auditOf(n)).toMatchObject({ sign_form: 'canonical', detail: { key: 'previous' } });

    expect(await s.kit('tenantSync', kit.tenantSync({ timeStamp: kit.later() }), { key: 'kit-access-key-nobody-was-given-0001' })).toMatchObject({ resultCode: '000001' });
  });

  it('basic calls signed with the current or the previous key pass, and the audit says which; any other key is refused 000001', async () => {
    for (const [key, which] of [[BASIC, 'current'], [TEST_KEYS.basic, 'previous']] as const) {
      const n = nonce();
      expect(await s.basic(newInstance(), { key, nonce: n })).toMatchObject({ resultCode: '000000' });
      expect(await auditOf(n)).toMatchObject({ outcome: 'applied', call_name: 'newInstance', detail: { key: which } });
    }
    expect(await s.basic(newInstance(), { key: 'basic-access-key-nobody-was-given-01' })).toMatchObject({ resultCode: '000001' });
  });

  it('a clientSecret encrypted to the previous public key is accepted and audited as such; to another key it is refused 000002', async () => {
    for (const [publicKey, which] of [[newRsa.publicKey, 'current'], [testRsa().publicKey, 'previous']] as const) {
      const n = nonce();
      const answer = await s.kit('applicationSync', kit.applicationSync(encryptClientSecret('client-secret-during-the-change', publicKey)), { key: KIT, nonce: n });
      expect(answer).toMatchObject({ resultCode: '000000' });
      expect(await auditOf(n)).toMatchObject({ outcome: 'applied', detail: { rsaKey: which, key: 'current' } });
    }
    const other = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
    const refused = await s.kit('applicationSync', kit.applicationSync(encryptClientSecret('client-secret-during-the-change', other)), { key: KIT });
    expect(refused).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining('does not decrypt with the configured RSA private key') });
  });

  it('both API tokens open the API; a third does not', async () => {
    for (const token of TOKENS) expect((await s.api('/api/v1/tenants', token)).status).toBe(200);
    expect((await s.api('/api/v1/tenants', TEST_KEYS.apiToken)).status).toBe(401);
    expect((await s.api('/api/v1/tenants', TOKENS.join(','))).status).toBe(401);
  });
});

describe.each(stores)('once the previous keys are removed, on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { KIT_ACCESS_KEY: KIT, BASIC_ACCESS_KEY: BASIC });
  });
  afterAll(() => s?.stop());

  it('calls signed with the old keys are refused 000001', async () => {
    expect(await s.kit('tenantSync', kit.tenantSync(), { key: TEST_KEYS.kit })).toMatchObject({ resultCode: '000001' });
    expect(await s.basic(newInstance(), { key: TEST_KEYS.basic })).toMatchObject({ resultCode: '000001' });
    expect(await s.kit('tenantSync', kit.tenantSync(), { key: KIT })).toMatchObject({ resultCode: '000000' });
  });
});
