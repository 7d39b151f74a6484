import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync } from '../helpers/fixtures.js';

/**
 * A clock off from the marketplace's makes every call fail on time, and the seller centre's
 * failure mails do not say why: the operator learns it from a log line and a metric, which tell a
 * call whose signature held from one refused unread.
 */
describe.each(stores)("the marketplace's clock against ours on %s", (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, {}, undefined, { logLines });
  });
  afterAll(() => s.stop());

  const skew = async (verified: boolean) => {
    const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text();
    return Number(new RegExp(`^koobridge_marketplace_clock_skew_seconds\\{verified="${verified}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const warnings = () => logLines.map((l) => JSON.parse(l)).filter((l) => /clock/.test(l.msg) && l.level === 40);

  it('a genuine call 40 s late is accepted, and the drift is shown and logged before calls fail', async () => {
    expect(await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() - 40_000) })).toMatchObject({ resultCode: '000000' });
    expect(await skew(true)).toBeGreaterThanOrEqual(39);
    expect(warnings().at(-1)).toMatchObject({ verified: true, msg: expect.stringMatching(/^the marketplace's clock is 4\d s behind ours/) });
  });

  it('a call 120 s late is refused before its body is read, counted as unverified, and logged as a hint', async () => {
    const answer = await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() - 120_000) });
    expect(answer).toMatchObject({ resultCode: '000002', resultMsg: "x-timestamp: more than 60 s away from the server's clock" });
    expect(await skew(false)).toBeGreaterThanOrEqual(119);
    expect(warnings().at(-1)).toMatchObject({ verified: false, msg: expect.stringMatching(/^a call was refused for a timestamp 12\d s behind our clock/) });
  });

  it('an in-time call sets the verified skew near zero', async () => {
    expect(await s.kit('tenantSync', tenantSync())).toMatchObject({ resultCode: '000000' });
    expect(Math.abs(await skew(true))).toBeLessThan(5);
  });
});
