import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync } from '../helpers/fixtures.js';

/**
 * A server whose clock is off refuses every call on time; the operator learns it from a log line
 * and a metric, fed only by calls whose signature held (anyone can send any timestamp).
 */
describe.each(stores)("the marketplace's clock against ours on %s", (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, {}, undefined, { logLines });
  });
  afterAll(() => s.stop());

  const skewMetric = async () => {
    const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text();
    return Number(/^koobridge_marketplace_clock_skew_seconds (\S+)$/m.exec(text)?.[1]);
  };
  const warnings = () => logLines.map((l) => JSON.parse(l)).filter((l) => /the marketplace's clock is/.test(l.msg));

  it('a genuine call 120 s late is still refused on time, and the skew is logged and shown', async () => {
    const answer = await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() - 120_000) });
    expect(answer).toMatchObject({ resultCode: '000002', resultMsg: "x-timestamp: more than 60 s away from the server's clock" });
    expect(await skewMetric()).toBeGreaterThanOrEqual(119);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0].msg).toMatch(/is 12\d s behind ours/);
  });

  it('a forged call with any timestamp moves neither: it is refused as before', async () => {
    const before = await skewMetric();
    const forged = await s.kit('tenantSync', tenantSync(), { timestamp: String(Date.now() + 3_600_000), key: 'not-the-kit-key-not-the-kit-key!' });
    expect(forged).toMatchObject({ resultCode: '000002' });
    expect(await skewMetric()).toBe(before);
  });

  it('an in-time call sets the skew near zero', async () => {
    expect(await s.kit('tenantSync', tenantSync())).toMatchObject({ resultCode: '000000' });
    expect(Math.abs(await skewMetric())).toBeLessThan(5);
  });
});
