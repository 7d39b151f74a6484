import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, nonce, type TestServer } from '../helpers/server.js';
import { allOrgSync, authSync, dept, singleOrgSync, tenantSync, user } from '../helpers/fixtures.js';
import { kitSignature } from '../../src/marketplace/signing.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { directorySnapshot } from '../helpers/snapshot.js';

describe.each(stores)('kit bad input on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { BODY_LIMIT_BYTES: '65536' });
  });
  afterAll(() => s.stop());

  /** Each case must answer 000002 naming the field, and leave the directory as it was. */
  const refused = async (call: string, body: unknown, field: string, opts = {}) => {
    const before = await directorySnapshot(s.rt.db);
    const answer = await s.kit(call, body, opts);
    expect(answer.resultCode).toBe('000002');
    expect(answer.resultMsg).toContain(field);
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
    return answer;
  };

  it('malformed JSON', async () => {
    await refused('tenantSync', '{"tenantId": "abc",', 'not valid JSON');
  });

  it('a JSON array instead of an object', async () => {
    await refused('tenantSync', '[]', 'JSON object');
  });

  it('a missing field', async () => {
    const { tenantId: _, ...body } = tenantSync();
    expect((await refused('tenantSync', body, 'tenantId')).resultMsg).toBe('tenantId: is required');
  });

  it('a mistyped field', async () => {
    await refused('tenantSync', tenantSync({ name: 42 }), 'name: must be a string');
  });

  it('a string over the spec length', async () => {
    await refused('tenantSync', tenantSync({ tenantId: 'x'.repeat(65) }), 'tenantId: must be at most 64 characters');
  });

  it('an unknown flag', async () => {
    await refused('tenantSync', tenantSync({ flag: 7 }), 'flag');
    await refused('authSync', authSync([user('a')], { flag: 9 }), 'flag');
  });

  it('a bad timeStamp', async () => {
    await refused('singleOrgSync', singleOrgSync('d1', null, { timeStamp: '2022-04-13' }), 'timeStamp');
  });

  it('a bad user deep in a batch names its index, and no user of the batch is written', async () => {
    const users = Array.from({ length: 300 }, (_, i) => user(`u${i}`));
    users[250] = user('u250', { role: 'root' });
    await refused('authSync', authSync(users), 'userList[250].role');
  });

  it('userList as a string that is not JSON', async () => {
    await refused('authSync', authSync('[{"userName":'), 'userList');
  });

  it('an enable that is neither "true" nor "false"', async () => {
    await refused('authSync', authSync([user('a', { enable: 'yes' })]), 'userList[0].enable');
  });

  it('an orgInfoList entry without orgName', async () => {
    await refused('allOrgSync', allOrgSync([{ orgCode: 'x' }]), 'orgInfoList[0].orgName');
  });

  it('a domainName that is not a host', async () => {
    await refused('tenantSync', tenantSync({ domainName: 'ftp://x y' }), 'domainName');
  });

  it('a body over the configured limit', async () => {
    const big = allOrgSync(Array.from({ length: 2000 }, (_, i) => dept(`d${i}`)));
    await refused('allOrgSync', big, 'body: larger than the limit of 65536 bytes');
  });

  it('a wrong content type', async () => {
    await refused('tenantSync', tenantSync(), 'Content-Type must be application/json', { contentType: 'text/plain' });
  });

  it('an unknown kit interface', async () => {
    await refused('orgSync', tenantSync(), 'unknown kit interface');
  });

  it('never answers with anything but HTTP 200 JSON, even for garbage bytes', async () => {
    const raw = '\u0000\u00ff{';
    const ts = String(Date.now());
    const n = nonce();
    const res = await fetch(`${s.url}/koogallery/produceAPI/v2/tenantSync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-nonce': n, 'x-sign': kitSignature(TEST_KEYS.kit, n, ts, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { resultCode: string }).resultCode).toBe('000002');
  });
});

// Bodies above LARGE_BODY_BYTES wait for a turn to be read, and are checked and parsed in turns of their own.
describe.each(stores)('large bodies on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store, { LARGE_BODY_BYTES: '1024' });
  });
  afterAll(() => s.stop());

  const padding = ' '.repeat(2048);

  it('refuses malformed JSON and a JSON array as a small body is refused', async () => {
    const before = await directorySnapshot(s.rt.db);
    for (const [raw, message] of [[`{"tenantId": "abc",${padding}`, 'body: not valid JSON'], [`[${padding}]`, 'body: must be a JSON object']] as const) {
      const answer = await s.kit('allOrgSync', raw);
      expect(answer).toMatchObject({ resultCode: '000002' });
      expect(answer.resultMsg).toContain(message);
    }
    expect(await directorySnapshot(s.rt.db)).toEqual(before);
  });

  it('applies a long department list (a byte order mark first) as sent, and names a bad entry by its place in it', async () => {
    const tenantId = 'large-body';
    expect((await s.kit('tenantSync', tenantSync({ tenantId }))).resultCode).toBe('000000');
    const list = Array.from({ length: 4_500 }, (_, i) => dept(`d${i}`, i === 0 ? null : `d${Math.floor((i - 1) / 10)}`, `部门 ${i} "q"`));
    const bad = structuredClone(list);
    delete (bad[4_321] as { orgName?: string }).orgName;
    const refused = await s.kit('allOrgSync', allOrgSync(bad, { tenantId }));
    expect(refused).toMatchObject({ resultCode: '000002' });
    expect(refused.resultMsg).toContain('orgInfoList[4321].orgName');
    expect((await s.kit('allOrgSync', `\ufeff${JSON.stringify(allOrgSync(list, { tenantId }))}`)).resultCode).toBe('000000');
    const rows = await s.rt.db('departments').where({ tenant_id: tenantId }).orderBy('org_code').select('org_code', 'org_name', 'parent_code');
    expect(rows).toHaveLength(list.length);
    const stored = new Map(rows.map((r) => [r.org_code, r]));
    for (const i of [0, 1_999, 2_000, 4_001, 4_499]) expect(stored.get(`d${i}`)).toMatchObject({ org_name: `部门 ${i} "q"`, parent_code: i === 0 ? null : `d${Math.floor((i - 1) / 10)}` });
  });
});
