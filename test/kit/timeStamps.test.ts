import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encryptClientSecret } from '../helpers/keys.js';
import { allOrgSync, applicationSync, authSync, dept, marketplaceTime, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { directorySnapshot, lastAudit } from '../helpers/snapshot.js';

const SKEW = 120;

/** Marketplace times order every row; one that cannot be real must not be stored, or it outranks every later call. */
describe.each(stores)('implausible marketplace times on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { MAX_FUTURE_SKEW_SECONDS: String(SKEW) });
  });
  afterAll(() => s.stop());

  const calls = (tenantId: string, o: Record<string, unknown>): [string, Record<string, unknown>][] => [
    ['tenantSync', tenantSync({ tenantId, ...o })],
    ['applicationSync', applicationSync(encryptClientSecret('s'), { tenantId, ...o })],
    ['authSync', authSync([user('u1')], { tenantId, ...o })],
    ['singleOrgSync', singleOrgSync('d1', null, { tenantId, ...o })],
    ['allOrgSync', allOrgSync([dept('d1')], { tenantId, ...o })],
  ];

  /** The call must answer 000002 with this message and leave the directory as it was. */
  const refused = async (call: string, body: unknown, message: string, timestamp?: number) => {
    const before = await directorySnapshot(s.rt.db);
    expect(await s.kit(call, body, { timestamp: timestamp === undefined ? undefined : String(timestamp) })).toEqual({ resultCode: '000002', resultMsg: message });
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
    expect(await lastAudit(s.rt.db)).toMatchObject({ call_name: call, outcome: 'rejected' });
  };

  it.each(calls('far-future', { timeStamp: '99991231235959999' }))('%s with timeStamp 99991231235959999 is refused, naming the field', async (call, body) => {
    await refused(call, body, `timeStamp: 99991231235959999 lies more than ${SKEW} s after the request's x-timestamp`);
  });

  it.each(calls('month-13', { timeStamp: '20261399999999999' }))('%s with a date that does not exist (month 13) is refused', async (call, body) => {
    await refused(call, body, 'timeStamp: 20261399999999999 is not a real date and time (yyyyMMddHHmmssSSS)');
  });

  it("authSync's currentSyncTime is held to the same rules", async () => {
    await refused('authSync', authSync([user('u1')], { currentSyncTime: '99991231235959999' }), `currentSyncTime: 99991231235959999 lies more than ${SKEW} s after the request's x-timestamp`);
    await refused('authSync', authSync([user('u1')], { currentSyncTime: '20260230120000000' }), 'currentSyncTime: 20260230120000000 is not a real date and time (yyyyMMddHHmmssSSS)');
  });

  it("times are read as UTC+8 and may run ahead of the request's x-timestamp by the allowance, no more", async () => {
    const sentAt = Date.now();
    const justWithin = tenantSync({ tenantId: 'skew', timeStamp: marketplaceTime(sentAt + (SKEW - 1) * 1000) });
    expect(await s.kit('tenantSync', justWithin, { timestamp: String(sentAt) })).toMatchObject({ resultCode: '000000' });
    const beyond = marketplaceTime(sentAt + (SKEW + 1) * 1000);
    await refused('tenantSync', tenantSync({ tenantId: 'skew', timeStamp: beyond }), `timeStamp: ${beyond} lies more than ${SKEW} s after the request's x-timestamp`, sentAt);
  });
});
