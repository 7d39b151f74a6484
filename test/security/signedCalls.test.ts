import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { authSync, user } from '../helpers/fixtures.js';
import { newInstance, refreshInstance } from '../lifecycle/bodies.js';
import { runJobOnce } from '../../src/jobs/index.js';
import { features } from '../../src/features.js';

const KIT = '/koogallery/produceAPI/v2';

/** A request whose head is sent at once and whose body the test sends (or not) later. */
function openRequest(port: number, path: string, headers: Record<string, string | number>) {
  const socket: Socket = connect(port, '127.0.0.1');
  let answer = '';
  const answered = new Promise<string>((resolve) => {
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}$/.test(answer)) resolve(answer);
    });
    socket.on('close', () => resolve(answer));
  });
  const head = Object.entries({ host: '127.0.0.1', 'content-type': 'application/json', ...headers }).map(([k, v]) => `${k}: ${v}`);
  socket.write(`POST ${path} HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`);
  let settled = false;
  void answered.then(() => (settled = true));
  return { socket, answered, isAnswered: () => settled };
}

const resultOf = (httpAnswer: string) => JSON.parse(httpAnswer.slice(httpAnswer.indexOf('\r\n\r\n') + 4)) as { resultCode: string; resultMsg: string };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(stores)('signed calls under attack on %s', (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, { LARGE_BODY_BYTES: '4096', LARGE_BODY_CONCURRENCY: '1' }, undefined, { logLines });
  });
  afterAll(() => s.stop());

  const scrape = async () => (await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text()).split('\n').filter((l) => l.startsWith('koobridge_marketplace'));

  it('keeps metric labels to a closed set, whatever names unsigned calls invent', async () => {
    const before = (await scrape()).length;
    for (let i = 0; i < 200; i++) await fetch(`${s.url}${KIT}/invented${i}x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const after = await scrape();
    expect(after.join('\n')).toMatch(/koobridge_marketplace_calls_total\{channel="kit",call="unknown",result_code="000002",outcome="rejected"\} 200/);
    expect(after.some((l) => l.includes('invented'))).toBe(false);
    // One counter and one histogram (its buckets, sum and count) for the one "unknown" label.
    expect(after.length - before).toBeLessThanOrEqual(20);
  });

  it('refuses a call without credentials, or with a stale timestamp, before reading its body', async () => {
    const bare = openRequest(s.port, `${KIT}/allOrgSync`, { 'content-length': 30 * 1024 * 1024 });
    expect(resultOf(await bare.answered)).toEqual({ resultCode: '000002', resultMsg: 'x-timestamp: is required' });
    const stale = openRequest(s.port, `${KIT}/allOrgSync`, {
      'content-length': 30 * 1024 * 1024,
      'x-timestamp': String(Date.now() - 3_600_000),
      'x-nonce': nonce(),
      'x-sign': 'ab'.repeat(32),
    });
    expect(resultOf(await stale.answered).resultMsg).toMatch(/^x-timestamp: more than 60 s away/);
    for (const r of [bare, stale]) r.socket.destroy();
  });

  it('reads large bodies one at a time (LARGE_BODY_CONCURRENCY), small ones at once', async () => {
    const body = JSON.stringify({ tenantId: 't', orgInfoList: Array.from({ length: 200 }, (_, i) => ({ orgCode: `o${i}`, orgName: 'n' })) });
    const headers = () => ({ 'content-length': Buffer.byteLength(body), 'x-timestamp': String(Date.now()), 'x-nonce': nonce(), 'x-sign': 'ab'.repeat(32) });
    const first = openRequest(s.port, `${KIT}/allOrgSync`, headers());
    first.socket.write(body.slice(0, 100)); // holds the one turn while the rest is on its way
    await pause(100);
    const second = openRequest(s.port, `${KIT}/allOrgSync`, headers());
    second.socket.write(body);
    const small = await s.kit('tenantSync', '{"flag":9}');
    expect(small.resultCode).toBe('000002'); // answered while both large ones are pending
    await pause(300);
    expect(second.isAnswered()).toBe(false);
    first.socket.write(body.slice(100));
    expect(resultOf(await first.answered).resultCode).toBe('000001');
    expect(resultOf(await second.answered).resultCode).toBe('000001');
    for (const r of [first, second]) r.socket.destroy();
  });

  it('counts repeated refusals of unauthenticated calls instead of storing each', async () => {
    await s.rt.db('audit_log').delete();
    for (let i = 0; i < 50; i++) await fetch(`${s.url}${KIT}/tenantSync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const rows = await s.rt.db('audit_log').select('repeats', 'source', 'call_name', 'result_msg');
    expect(rows.length).toBeLessThanOrEqual(2); // a minute may turn during the loop
    expect(rows.reduce((n, r) => n + Number(r.repeats), 0)).toBe(50);
    expect(rows[0]).toMatchObject({ source: expect.stringMatching(/127\.0\.0\.1/), call_name: 'tenantSync', result_msg: 'x-timestamp: is required' });

    // Anonymous login attempts too, however their tenant or code vary.
    await s.rt.db('audit_log').delete();
    for (let i = 0; i < 30; i++) await (await fetch(`${s.url}/sso/callback?code=c${i}&tenant=nobody${i}`)).arrayBuffer();
    const sso = await s.rt.db('audit_log').where({ channel: 'sso' }).select('repeats');
    expect(sso.length).toBeLessThanOrEqual(2);
    expect(sso.reduce((n, r) => n + Number(r.repeats), 0)).toBe(30);
  });

  it('purges audit records older than AUDIT_RETENTION_DAYS with its job', async () => {
    const day = 86_400_000;
    const row = (at: number) => ({ at, channel: 'kit', call_name: 'tenantSync', result_code: '000000', result_msg: 'Success', outcome: 'applied', duration_ms: 1 });
    await s.rt.db('audit_log').insert([row(Date.now() - 181 * day), row(Date.now() - 181 * day), row(Date.now() - 179 * day)]);
    const job = features.flatMap((f) => f.jobs ?? []).find((j) => j.name === 'purge-audit')!;
    expect(await runJobOnce(s.rt, job, 1)).toBe('ran');
    const ages = (await s.rt.db('audit_log').pluck('at')).map((at) => Math.floor((Date.now() - Number(at)) / day));
    expect(ages.length).toBeGreaterThan(0);
    expect(Math.max(...ages)).toBeLessThan(180);
  });

  it('spends the nonce of a signed call that was refused, so it cannot succeed later: a resend gets the first answer', async () => {
    const instanceId = `later-${nonce().slice(0, 8)}`;
    const same = { nonce: nonce(), timestamp: String(Date.now()) };
    const refresh = refreshInstance(instanceId, { expireTime: '20301231160000' });
    expect((await s.basic(refresh, same)).resultCode).toBe('000003');
    expect((await s.basic(newInstance({ businessId: instanceId }))).instanceId).toBe(instanceId);
    expect(await s.basic(refresh, same)).toMatchObject({ resultCode: '000003', resultMsg: expect.stringMatching(/does not exist/) });
    const view = await s.api(`/api/v1/instances/${instanceId}`);
    expect(JSON.stringify(view.body)).not.toContain('2030');
  });

  it('logs a call that fails inside the store without its SQL or values', async () => {
    await s.rt.db.schema.renameTable('user_apps', 'user_apps_away');
    try {
      logLines.length = 0;
      const users = Array.from({ length: 30 }, (_, i) => user(`secretive${i}`, { mobile: `1390000${String(i).padStart(4, '0')}`, email: `hidden${i}@example.com` }));
      expect((await s.kit('authSync', authSync(users))).resultCode).toBe('000005');
      const failure = logLines.find((l) => l.includes('marketplace call failed'));
      expect(failure).toBeDefined();
      const all = logLines.join('\n');
      for (const leak of ['secretive', '1390000', 'hidden0@', 'insert into', 'select ']) expect(all.toLowerCase()).not.toContain(leak);
      expect(Math.max(...logLines.map((l) => l.length))).toBeLessThan(2000);
    } finally {
      await s.rt.db.schema.renameTable('user_apps_away', 'user_apps');
    }
  });
});
