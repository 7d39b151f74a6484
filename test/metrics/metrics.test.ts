import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { tenantSync } from '../helpers/fixtures.js';

describe('metrics', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
  });
  afterAll(() => s.stop());

  const scrape = async (token?: string) => {
    const res = await fetch(`${s.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  };

  it('are behind the API token', async () => {
    expect((await scrape()).status).toBe(401);
  });

  it('count marketplace calls by call and resultCode', async () => {
    await s.kit('tenantSync', tenantSync());
    await s.kit('tenantSync', tenantSync(), { key: 'not-the-kit-key-0123456789' });
    const { status, text } = await scrape(TEST_KEYS.apiToken);
    expect(status).toBe(200);
    expect(text).toMatch(/koobridge_marketplace_calls_total\{channel="kit",call="tenantSync",result_code="000000",outcome="applied"\} 1/);
    expect(text).toMatch(/koobridge_marketplace_calls_total\{channel="kit",call="tenantSync",result_code="000001",outcome="rejected"\} 1/);
    expect(text).toMatch(/koobridge_marketplace_call_seconds_count\{channel="kit",call="tenantSync"\} 2/);
  });
});
