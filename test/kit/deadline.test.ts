import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, tenantSync } from '../helpers/fixtures.js';
import { whileStoreHeld } from '../helpers/holdStore.js';

/**
 * A database that does not answer (here: another client holding the tenant's rows) makes a call
 * answer 000005 (retry) in time rather than hang past the marketplace's 20 s, and the late work
 * never commits: the retry then applies it once.
 */
describe.each(stores)('a marketplace call against a stalled database on %s', (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, { MARKETPLACE_CALL_TIMEOUT_SECONDS: '1.5' }, undefined, { logLines });
    expect(await s.kit('tenantSync', tenantSync({ name: 'before' }))).toMatchObject({ resultCode: '000000' });
  });
  afterAll(() => s.stop());

  it('answers 000005 in time, commits nothing late, and the retry applies', async () => {
    // MySQL: another client holds the tenant's row; SQLite: the store's write lock.
    const body = tenantSync({ name: 'after' });
    const answer = await whileStoreHeld(s, ['SELECT * FROM tenants WHERE tenant_id = ? FOR UPDATE', [TENANT]], () => s.kit('tenantSync', body));
    expect(answer).toMatchObject({ resultCode: '000005' });
    // When the server answered (its request log line; on SQLite the client in this same process is
    // held up by the driver's synchronous wait too): MySQL at the deadline, 1.5 s; SQLite once its
    // driver gave up waiting for the lock, 5 s (busy_timeout).
    const answered = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'marketplace call' && l.resultCode === '000005');
    expect(answered).toHaveLength(1);
    expect(answered[0].durationMs).toBeLessThan(store === 'mysql' ? 2_500 : 6_000);
    await new Promise((r) => setTimeout(r, 300)); // the stalled transaction gets its answer and rolls back
    expect((await s.rt.db('tenants').where({ tenant_id: TENANT }).first()).name).toBe('before');
    expect(await s.kit('tenantSync', body)).toMatchObject({ resultCode: '000000' });
    expect((await s.rt.db('tenants').where({ tenant_id: TENANT }).first()).name).toBe('after');
  });
});
