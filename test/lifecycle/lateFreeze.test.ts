import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { startWorld, type World } from '../sso/world.js';
import { refreshInstance, updateInstanceStatus } from './bodies.js';
import { lastAudit } from '../helpers/snapshot.js';

const HOUR = 3_600_000;

/**
 * The marketplace retries a failed FREEZE, re-signed, for hours, also after the buyer renewed and
 * the instance was unfrozen. Such a late FREEZE must not lock the paying customer out again.
 */
describe.each(stores)('a FREEZE retried late on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { newInstance: true });
  });
  afterAll(() => w.stop());

  const id = () => w.instanceId;
  const status = async () => (await w.s.api(`/api/v1/instances/${id()}`)).body.status;
  const signedIn = async () => {
    const { res, browser } = await w.marketplaceLogin('zhangsan');
    expect(res.status, await res.clone().text()).toBe(302);
    return browser;
  };
  const lateFreezeNotices = async () => {
    const res = await fetch(`${w.s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } });
    const line = /^koobridge_marketplace_notices_total\{[^}]*notice="late_freeze"[^}]*\} (\d+)$/m.exec(await res.text());
    return line ? Number(line[1]) : 0;
  };
  /** Moves what the instance remembers (its last UNFREEZE, its renewals) back by `ms`, as if that much time had passed. */
  const agePast = async (ms: number) => {
    const db = w.s.rt.db;
    await db('instances').where({ instance_id: id() }).whereNotNull('unfrozen_at').update({ unfrozen_at: db.raw('unfrozen_at - ?', [ms]) });
    await db('instance_orders').where({ instance_id: id() }).update({ created_at: db.raw('created_at - ?', [ms]) });
  };

  it('a FREEZE retried after a renewal to 2030 and the UNFREEZE is answered with success, recorded and not applied: sessions survive', async () => {
    const first = await w.s.basic(updateInstanceStatus(id(), 'FREEZE'));
    expect(first.resultCode).toBe('000000');
    expect(await status()).toBe('frozen');
    expect((await w.s.basic(refreshInstance(id(), { expireTime: '20301231160000' }))).resultCode).toBe('000000');
    expect((await w.s.basic(updateInstanceStatus(id(), 'UNFREEZE'))).resultCode).toBe('000000');
    const browser = await signedIn();

    // The same FREEZE, re-signed by the marketplace's retry.
    expect(await w.s.basic(updateInstanceStatus(id(), 'FREEZE'))).toEqual({ resultCode: '000000', resultMsg: 'Success' });
    expect(await status()).toBe('active');
    expect((await w.session(browser)).status).toBe(200);
    expect(await lastAudit(w.s.rt.db, 'updateInstanceStatus')).toMatchObject({
      outcome: 'stale',
      detail: { status: 'FREEZE', previous: 'active', lateFreeze: { unfrozenAt: expect.any(String) }, note: expect.stringContaining('not applied') },
    });
    expect(await lateFreezeNotices()).toBe(1);
  });

  it('a FREEZE whose first try never arrived is not applied after a renewal either (no UNFREEZE needed)', async () => {
    await agePast(4 * HOUR); // the UNFREEZE above is now older than the marketplace's retries
    expect((await w.s.basic(refreshInstance(id(), { expireTime: '20311231160000' }))).resultCode).toBe('000000');
    const browser = await signedIn();
    expect((await w.s.basic(updateInstanceStatus(id(), 'FREEZE'))).resultCode).toBe('000000');
    expect(await status()).toBe('active');
    expect((await w.session(browser)).status).toBe(200);
    expect(await lastAudit(w.s.rt.db, 'updateInstanceStatus')).toMatchObject({
      outcome: 'stale',
      detail: { lateFreeze: { expireTime: '20311231160000000', renewedAt: expect.any(String) } },
    });
  });

  it('a FREEZE once the renewal and the UNFREEZE lie beyond the retry horizon is genuine: applied, sessions end', async () => {
    await agePast(4 * HOUR);
    const browser = await signedIn();
    expect((await w.s.basic(updateInstanceStatus(id(), 'FREEZE'))).resultCode).toBe('000000');
    expect(await status()).toBe('frozen');
    expect((await w.session(browser)).status).toBe(401);
    expect(await lastAudit(w.s.rt.db, 'updateInstanceStatus')).toMatchObject({ outcome: 'applied', detail: { status: 'FREEZE', previous: 'active' } });
    expect((await w.s.basic(updateInstanceStatus(id(), 'UNFREEZE'))).resultCode).toBe('000000');
  });

  it('a FREEZE after a renewal that left the expiry in the past (renewal period unsubscribed) is applied', async () => {
    await agePast(4 * HOUR);
    expect((await w.s.basic(refreshInstance(id(), { scene: 'UNSUBSCRIBE_RENEWAL_PERIOD', expireTime: '20240101000000' }))).resultCode).toBe('000000');
    expect((await w.s.basic(updateInstanceStatus(id(), 'FREEZE'))).resultCode).toBe('000000');
    expect(await status()).toBe('frozen');
  });
});
