import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret, encryptClientSecretJavaSha256 } from '../helpers/keys.js';
import { APP, INSTANCE, TENANT, applicationSync, tenantSync } from '../helpers/fixtures.js';
import { directorySnapshot, lastAudit } from '../helpers/snapshot.js';
import { clientSecretContext } from '../../src/directory/applicationSync.js';

describe.each(stores)('applicationSync on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
    await s.kit('tenantSync', tenantSync());
  });
  afterAll(() => s.stop());

  const appRow = () => s.rt.db('apps').where({ instance_id: INSTANCE, tenant_id: TENANT, app_id: APP }).first();
  const storedSecret = async () => {
    const row = await appRow();
    return s.rt.box.open(row.client_secret, clientSecretContext(INSTANCE, TENANT, APP));
  };

  it('decrypts an RSA-OAEP SHA-256 clientSecret and keeps it sealed at rest', async () => {
    const answer = await s.kit('applicationSync', applicationSync(encryptClientSecret('s3cr3t-sha256')));
    expect(answer.resultCode).toBe('000000');
    const row = await appRow();
    expect(row.client_secret).not.toContain('s3cr3t');
    expect(row.secret_padding).toBe('sha256');
    expect(await storedSecret()).toBe('s3cr3t-sha256');
  });

  it("decrypts Java's default OAEP (SHA-1) too", async () => {
    await s.kit('applicationSync', applicationSync(encryptClientSecret('s3cr3t-sha1', undefined, 'sha1'), { flag: 2 }));
    expect(await storedSecret()).toBe('s3cr3t-sha1');
    expect((await appRow()).secret_padding).toBe('sha1');
  });

  it("decrypts Java's OAEPWithSHA-256AndMGF1Padding (SHA-256 with MGF1-SHA-1)", async () => {
    await s.kit('applicationSync', applicationSync(encryptClientSecretJavaSha256('s3cr3t-java'), { flag: 2 }));
    expect(await storedSecret()).toBe('s3cr3t-java');
    expect((await appRow()).secret_padding).toBe('sha256/mgf1-sha1');
  });

  it('never shows the secret in the audit table or the directory API', async () => {
    const audits = await s.rt.db('audit_log').select('detail', 'result_msg');
    expect(JSON.stringify(audits)).not.toContain('s3cr3t');
    const api = await s.api(`/api/v1/tenants/${TENANT}`);
    expect(api.body.apps).toEqual([expect.objectContaining({ appId: APP, clientId: 'NzZeWuiJa91dPSRdZQChMazIh13AW', hasClientSecret: true })]);
    expect(JSON.stringify(api.body)).not.toContain('s3cr3t');
  });

  it('refuses a clientSecret encrypted with another public key, storing nothing', async () => {
    const before = await directorySnapshot(s.rt.db);
    const other = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
    const answer = await s.kit('applicationSync', applicationSync(encryptClientSecret('other', other), { flag: 2 }));
    expect(answer).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining('clientSecret') });
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
    expect(await lastAudit(s.rt.db)).toMatchObject({ outcome: 'rejected', call_name: 'applicationSync' });
  });

  it('refuses a clientSecret that is not base64 ciphertext', async () => {
    const answer = await s.kit('applicationSync', applicationSync('plain-text-secret', { flag: 2 }));
    expect(answer).toMatchObject({ resultCode: '000002', resultMsg: expect.stringContaining('clientSecret') });
  });

  it('a replay changes nothing, not even the sealed ciphertext', async () => {
    const body = applicationSync(encryptClientSecret('replayed'), { flag: 2 });
    await s.kit('applicationSync', body);
    const before = await directorySnapshot(s.rt.db);
    expect((await s.kit('applicationSync', body)).resultCode).toBe('000000');
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
  });

  it('flag 0 deletes the app and wipes its secret; a repeated delete succeeds', async () => {
    const del = applicationSync('', { flag: 0 });
    expect((await s.kit('applicationSync', del)).resultCode).toBe('000000');
    expect(await appRow()).toMatchObject({ client_secret: null, deleted: expect.anything() });
    expect(Boolean((await appRow()).deleted)).toBe(true);
    expect((await s.kit('applicationSync', applicationSync('', { flag: 0 }))).resultCode).toBe('000000');
    expect((await s.api(`/api/v1/tenants/${TENANT}`)).body.apps).toEqual([]);
  });

  it('a tenant deleted with flag 0 takes its apps’ secrets with it', async () => {
    await s.kit('applicationSync', applicationSync(encryptClientSecret('again')));
    expect((await appRow()).client_secret).not.toBeNull();
    await s.kit('tenantSync', tenantSync({ flag: 0 }));
    expect((await appRow()).client_secret).toBeNull();
  });
});
