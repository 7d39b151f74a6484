import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sellerCentrePublicKey } from '../../src/config/devKeys.js';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS, testRsa } from '../helpers/keys.js';
import { jsonOf, runCli } from './run.js';

const LIFECYCLE = ['newInstance', 'queryInstance', 'refreshInstance:TRIAL_TO_FORMAL', 'refreshInstance:RENEWAL', 'refreshInstance:UNSUBSCRIBE_RENEWAL_PERIOD', 'refreshInstance:RENEWAL_CHANGE', 'updateInstanceStatus:FREEZE', 'updateInstanceStatus:UNFREEZE', 'upgradeInstance', 'releaseInstance'];
const KIT = ['tenantSync:1', 'tenantSync:2', 'applicationSync', 'allOrgSync', 'singleOrgSync:1', 'singleOrgSync:2', 'singleOrgSync:0', 'authSync:1', 'authSync:2', 'authSync:3', 'authSync:0'];

const keyArgs = () => ['--kit-key', TEST_KEYS.kit, '--basic-key', TEST_KEYS.basic, '--public-key', sellerCentrePublicKey(testRsa().privatePem)];

// PROVISIONING=async too: debug orders are still provisioned at once, as the seller centre requires 000000.
const modes = stores.flatMap((store) => (['sync', 'async'] as const).map((mode) => [store, mode] as const));

describe.each(modes)('koobridge simulate against koobridge on %s, PROVISIONING=%s', (store, mode) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { PROVISIONING: mode });
  });
  afterAll(() => s.stop());

  it('passes every case in both rounds, and refuses each negative case with the spec code', async () => {
    const run = await runCli(['simulate', '--url', `${s.url}/koogallery`, ...keyArgs(), '--negative', '--json']);
    const out = jsonOf(run);
    expect(out.results.filter((r: any) => !r.passed), run.stdout).toEqual([]);
    expect(run.code).toBe(0);
    for (const round of [1, 2]) expect(out.results.filter((r: any) => r.round === round).map((r: any) => r.case)).toEqual([...LIFECYCLE, ...KIT]);
    const negative = out.results.filter((r: any) => r.round === null);
    expect(negative.map((r: any) => [r.case, r.resultCode])).toEqual([
      ['queryInstance wrong key', '000001'],
      ['queryInstance stale timestamp', '000002'],
      ['queryInstance replayed nonce', '000001'],
      ['queryInstance malformed body', '000002'],
      ['tenantSync wrong key', '000001'],
      ['tenantSync stale timestamp', '000002'],
      ['tenantSync replayed nonce', '000001'],
      ['tenantSync malformed body', '000002'],
    ]);
    // The kit cases reached the directory: the debug tenant as tenantSync:2 left it, its app with the decrypted secret.
    const tenant = await s.api('/api/v1/tenants/68cbc86abc2018ab880d92f36422fa0e?instanceId=87b94795-0603-4e24-8ae5-69420d60e3c8');
    expect(tenant.body).toMatchObject({ name: 'huaweitenantname2', testFlag: true });
  });

  it('prints a table for people, keys taken from the variables the server reads', async () => {
    const run = await runCli(['simulate', '--url', `${s.url}/koogallery`, '--cases', 'kit', '--rounds', '1'], {
      KIT_ACCESS_KEY: TEST_KEYS.kit,
      RSA_PRIVATE_KEY: testRsa().privatePem,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^case +round +HTTP +resultCode +ms +verdict$/m);
    expect(run.stdout).toMatch(/^authSync:3 +1 +200 +000000 +\d+ +pass$/m);
    expect(run.stdout).toContain('11 passed, 0 failed');
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('refuses to run without the keys its cases need', async () => {
    const run = await runCli(['simulate', '--url', `${s.url}/koogallery`, '--cases', 'lifecycle'], { NODE_ENV: 'production' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the lifecycle cases need --basic-key or BASIC_ACCESS_KEY');
  });
});

/**
 * An implementation that gets one thing wrong per lifecycle call, and accepts every kit call
 * without looking at its signature.
 */
async function brokenEndpoint(): Promise<{ server: Server; url: string }> {
  let newInstances = 0;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', async () => {
      const json = (status: number, body: object, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(JSON.stringify(body));
      };
      if (req.url!.includes('/produceAPI/v2/')) return json(200, { resultCode: '000000', resultMsg: 'Success' });
      let activity: string | undefined;
      try {
        activity = JSON.parse(text).activity;
      } catch {
        return json(200, { resultCode: '000000', resultMsg: 'Success' });
      }
      switch (activity) {
        case 'newInstance':
          return json(200, { resultCode: '000000', resultMsg: 'success.', instanceId: `instance-${++newInstances}` });
        case 'queryInstance':
          return json(200, { resultCode: '000000', resultMsg: 'success.', info: [] });
        case 'refreshInstance':
          return json(500, { error: 'boom' });
        case 'updateInstanceStatus':
          return json(200, { resultCode: '000000', resultMsg: 'success.' }, 'text/plain');
        case 'upgradeInstance':
          return json(200, { resultCode: '000001', resultMsg: 'token is invalid' });
        default:
          await sleep(1500);
          return json(200, { resultCode: '000000', resultMsg: 'success.' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/isv/produce` };
}

describe('koobridge simulate against a broken endpoint', () => {
  let broken: { server: Server; url: string };
  beforeAll(async () => {
    broken = await brokenEndpoint();
  });
  afterAll(() => new Promise<void>((resolve) => broken.server.close(() => resolve())));

  it('names each failure in the seller centre words, with an explanation and a fix, and exits 1', async () => {
    const run = await runCli(['simulate', '--url', broken.url, ...keyArgs(), '--cases', 'lifecycle', '--timeout', '0.5', '--json']);
    expect(run.code).toBe(1);
    const results = jsonOf(run).results as { case: string; round: number; passed: boolean; failures: { check: string; sellerCentre?: string; explanation: string; fix: string }[] }[];
    const failuresOf = (name: string, round: number) => results.find((r) => r.case === name && r.round === round)!.failures;
    const words = (name: string, round: number) => failuresOf(name, round).map((f) => f.sellerCentre ?? f.check);

    expect(words('newInstance', 1)).toEqual([]);
    expect(words('newInstance', 2)).toEqual(['idempotency']);
    expect(failuresOf('newInstance', 2)[0]!.explanation).toContain('instance-1 in round 1 and instance-2 now');
    expect(words('queryInstance', 1)).toEqual(['接口响应缺少instanceId']);
    expect(words('refreshInstance:RENEWAL', 1)).toEqual(['接口响应httpCode=500']);
    expect(words('updateInstanceStatus:FREEZE', 1)).toEqual(['响应content-type格式错误']);
    expect(words('upgradeInstance', 2)).toEqual(['生产接口resultCode返回错误']);
    expect(failuresOf('upgradeInstance', 1)[0]!.explanation).toContain('resultCode 000001 (token is invalid)');
    expect(failuresOf('upgradeInstance', 1)[0]!.fix).toContain('基础接口');
    expect(words('releaseInstance', 1)).toEqual(['调用接口超时0.5s']);
    for (const r of results.filter((x) => !x.passed)) for (const f of r.failures) expect(f.explanation && f.fix).toBeTruthy();
  });

  it('shows the failures under the table, the seller centre wording first', async () => {
    const run = await runCli(['simulate', '--url', broken.url, ...keyArgs(), '--cases', 'updateInstanceStatus:FREEZE,releaseInstance', '--rounds', '1', '--timeout', '0.5']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^updateInstanceStatus:FREEZE +1 +200 +- +\d+ +FAIL 响应content-type格式错误$/m);
    expect(run.stdout).toMatch(/^releaseInstance +1 +- +- +\d+ +FAIL 调用接口超时0.5s$/m);
    expect(run.stdout).toContain('  updateInstanceStatus:FREEZE, round 1: 响应content-type格式错误\n    Content-Type is "text/plain"; it must be application/json\n    fix: send Content-Type: application/json');
    expect(run.stdout).toContain('0 passed, 2 failed');
  });

  it('fails --negative where the endpoint accepts what the marketplace never sends', async () => {
    const run = await runCli(['simulate', '--url', broken.url, ...keyArgs(), '--cases', 'tenantSync:1', '--rounds', '1', '--negative', '--json']);
    expect(run.code).toBe(1);
    const negative = jsonOf(run).results.filter((r: any) => r.round === null);
    expect(negative.map((r: any) => [r.case, r.passed, r.failures[0]?.check])).toEqual([
      ['tenantSync wrong key', false, 'refusal'],
      ['tenantSync stale timestamp', false, 'refusal'],
      ['tenantSync replayed nonce', false, 'refusal'],
      ['tenantSync malformed body', false, 'refusal'],
    ]);
    expect(negative[0].failures[0].explanation).toBe('a request signed with another key was accepted (000000); it must be refused with 000001');
  });
});
