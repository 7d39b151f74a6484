import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { basicRaw, created, newInstance, queryInstance, releaseInstance } from '../lifecycle/bodies.js';
import { dataKeyId } from '../../src/config/settings.js';
import { SecretBox } from '../../src/store/secretBox.js';
import { resealColumn } from '../../src/store/reseal.js';
import { sealedColumns } from '../../src/features.js';

const PASSWORD = 'Pa55-set-by-app-91c4';
const enc = encodeURIComponent;

/** The V1 form as the marketplace would read it (spec §4.2): IV = the first 16 characters, key SHA1(SHA1(accessKey))[:16]. */
function v1Decrypt(accessKey: string, text: string): string {
  const key = createHash('sha1').update(createHash('sha1').update(accessKey).digest()).digest().subarray(0, 16);
  const decipher = createDecipheriv('aes-128-cbc', key, Buffer.from(text.slice(0, 16), 'latin1'));
  return Buffer.concat([decipher.update(Buffer.from(text.slice(16), 'base64')), decipher.final()]).toString('utf8');
}

describe.each(stores)('appInfo set by the application, usage, pay-per-use orders on %s', (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  const appInfo = (id: string, body: unknown) => s.api(`/api/v1/instances/${enc(id)}/app-info`, undefined, 'PUT', body);
  const usage = (id: string, body: unknown) => s.api(`/api/v1/instances/${enc(id)}/usage`, undefined, 'POST', body);
  const infoOf = async (id: string) => {
    const answer = await s.basic(queryInstance(id));
    expect(answer.resultCode).toBe('000000');
    return (answer.info as Record<string, any>[])[0]!;
  };

  beforeAll(async () => {
    s = await startTestServer(store, { LOG_LEVEL: 'debug' }, undefined, { logLines });
  });
  afterAll(() => s.stop());

  it('PUT app-info (PROVISIONING=sync): queryInstance prefers it to the templates; null clears a field, a field left out stays', async () => {
    const id = await created(s);
    const template = (await infoOf(id)).appInfo;
    expect(template).not.toHaveProperty('password');

    const set = await appInfo(id, { frontEndUrl: 'https://ws-1.example.com/login', userName: 'owner', password: PASSWORD, memo: '工作区已就绪' });
    expect(set).toMatchObject({ status: 200, body: { instanceId: id, changed: true, passwordSet: true, appInfo: { frontEndUrl: 'https://ws-1.example.com/login', adminUrl: template.adminUrl, userName: 'owner', memo: '工作区已就绪' } } });
    expect(JSON.stringify(set.body)).not.toContain(PASSWORD);
    expect((await infoOf(id)).appInfo).toEqual({ frontEndUrl: 'https://ws-1.example.com/login', adminUrl: template.adminUrl, userName: 'owner', password: PASSWORD, memo: '工作区已就绪' });
    // Non-ASCII in memo goes out \uXXXX-escaped.
    expect(await basicRaw(s, queryInstance(id))).toContain('"memo":"\\u5de5\\u4f5c\\u533a\\u5df2\\u5c31\\u7eea"');
    // The instance API shows what was set, the password only as held.
    const view = (await s.api(`/api/v1/instances/${enc(id)}`)).body;
    expect(view.appInfo).toMatchObject({ frontEndUrl: 'https://ws-1.example.com/login', adminUrl: null, userName: 'owner', memo: '工作区已就绪', passwordSet: true });
    expect(JSON.stringify(view)).not.toContain(PASSWORD);

    expect(await appInfo(id, { frontEndUrl: 'https://ws-1.example.com/login' })).toMatchObject({ status: 200, body: { changed: false } });
    expect(await appInfo(id, { adminUrl: 'https://admin-1.example.com/', memo: null })).toMatchObject({ status: 200, body: { changed: true } });
    expect((await infoOf(id)).appInfo).toEqual({ frontEndUrl: 'https://ws-1.example.com/login', adminUrl: 'https://admin-1.example.com/', userName: 'owner', password: PASSWORD, memo: template.memo });
    expect(await appInfo(id, { password: null })).toMatchObject({ status: 200, body: { changed: true, passwordSet: false } });
    expect((await infoOf(id)).appInfo).not.toHaveProperty('password');
  });

  it('PUT app-info refuses bad values naming the field (400) and unknown or released instances (404)', async () => {
    const id = await created(s);
    const refusals: [unknown, string][] = [
      [{ frontEndUrl: 'ftp://x.example.com/' }, 'frontEndUrl'],
      [{ adminUrl: `https://x.example.com/${'a'.repeat(600)}` }, 'adminUrl'],
      [{ userName: '' }, 'userName'],
      [{ password: 'p'.repeat(129) }, 'password'],
      // 200 CJK characters are 1200 once escaped: past String(1024).
      [{ memo: '字'.repeat(200) }, 'memo'],
      [{ colour: 'red' }, 'colour'],
      [{}, 'at least one of'],
    ];
    for (const [body, field] of refusals) {
      const answer = await appInfo(id, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message).toContain(field);
    }
    expect((await appInfo('never-created', { memo: 'x' })).status).toBe(404);
    await s.basic(releaseInstance(id));
    expect((await appInfo(id, { memo: 'x' })).status).toBe(404);
  });

  it('usage: the latest per relatedInstanceId in queryInstance\'s usageInfo, as Double(12,4) and 17-digit time', async () => {
    const id = await created(s);
    expect((await infoOf(id)).usageInfo).toBeUndefined();
    expect(await usage(id, { usageValue: 12.5, statisticalTime: '20261201093000123', relatedInstanceId: 'vm-1', dashboardUrl: 'https://dash.example.com/vm-1' })).toMatchObject({
      status: 200,
      body: { instanceId: id, relatedInstanceId: 'vm-1', usageValue: 12.5, statisticalTime: '20261201093000123', kept: true },
    });
    await usage(id, { usageValue: '99999999.9999', statisticalTime: '2026-12-01T10:00:00.250+08:00', relatedInstanceId: 'vm-2' });
    // An older report does not replace the newer one; the same time again replaces the values.
    expect((await usage(id, { usageValue: 1, statisticalTime: '20261130000000000', relatedInstanceId: 'vm-1' })).body.kept).toBe(false);
    expect((await usage(id, { usageValue: '7.0625', statisticalTime: '20261201093000123', relatedInstanceId: 'vm-1', dashboardUrl: 'https://dash.example.com/vm-1' })).body.kept).toBe(true);
    await usage(id, { usageValue: 0, statisticalTime: '20261201000000000' });

    expect((await infoOf(id)).usageInfo).toEqual([
      { usageValue: 0, statisticalTime: '20261201000000000' },
      { relatedInstanceId: 'vm-1', usageValue: 7.0625, statisticalTime: '20261201093000123', dashboardUrl: 'https://dash.example.com/vm-1' },
      { relatedInstanceId: 'vm-2', usageValue: 99999999.9999, statisticalTime: '20261201020000250' },
    ]);
    const raw = await basicRaw(s, queryInstance(id));
    expect(raw).toContain('"usageValue":7.0625,"statisticalTime":"20261201093000123"');
    expect(raw).toContain('"usageValue":99999999.9999,');
    for (const time of raw.match(/"statisticalTime":"[^"]*"/g)!) expect(time).toMatch(/^"statisticalTime":"\d{17}"$/);

    // Released: the usage goes with the instance.
    await s.basic(releaseInstance(id));
    expect(await s.rt.db('instance_usage').where({ instance_id: id }).count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('usage refuses bad values naming the field (400) and unknown instances (404)', async () => {
    const id = await created(s);
    const ok = { usageValue: 1, statisticalTime: '20261201000000000' };
    const refusals: [unknown, string][] = [
      [{ ...ok, usageValue: -1 }, 'usageValue'],
      [{ ...ok, usageValue: 1.23456 }, 'usageValue'],
      [{ ...ok, usageValue: 123456789 }, 'usageValue'],
      [{ ...ok, usageValue: '12,5' }, 'usageValue'],
      [{ ...ok, usageValue: 1e21 }, 'usageValue'],
      [{ statisticalTime: ok.statisticalTime }, 'usageValue'],
      [{ ...ok, statisticalTime: '20261301000000000' }, 'statisticalTime'],
      [{ ...ok, statisticalTime: '20261201000000' }, 'statisticalTime'],
      [{ ...ok, statisticalTime: '2026-12-01T00:00:00' }, 'statisticalTime'],
      [{ usageValue: 1 }, 'statisticalTime'],
      [{ ...ok, relatedInstanceId: 'r'.repeat(65) }, 'relatedInstanceId'],
      [{ ...ok, dashboardUrl: 'javascript:alert(1)' }, 'dashboardUrl'],
      [{ ...ok, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of refusals) {
      const answer = await usage(id, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message).toContain(field);
    }
    expect((await infoOf(id)).usageInfo).toBeUndefined();
    expect((await usage('never-created', ok)).status).toBe(404);
  });

  it('never keeps the password in plaintext: logs, events, audit, the instance API, nor the stored answer a resend is given', async () => {
    const id = await created(s);
    await appInfo(id, { userName: 'owner', password: PASSWORD });
    const body = queryInstance(id);
    const credentials = { nonce: nonce(), timestamp: String(Date.now()) };
    const first = await s.basic(body, credentials);
    expect((first.info as any[])[0].appInfo.password).toBe(PASSWORD);

    const stored = await s.rt.db('nonces').where({ scope: 'basic', nonce: credentials.nonce }).first();
    expect(stored.answer).toMatch(/^v2\./);
    // The marketplace lost the answer and sends the very same request: the same answer, from the sealed row.
    expect(await s.basic(body, credentials)).toEqual(first);
    const audit = await s.rt.db('audit_log').where({ nonce: credentials.nonce }).orderBy('id').pluck('outcome');
    expect(audit).toEqual(['applied', 'replayed']);

    const row = await s.rt.db('instance_app_info').where({ instance_id: id }).first();
    expect(row.password).toMatch(/^v2\./);
    const anywhere = [
      logLines.join('\n'),
      JSON.stringify(await s.rt.db('events').select()),
      JSON.stringify(await s.rt.db('audit_log').select()),
      JSON.stringify(await s.rt.db('nonces').select()),
      JSON.stringify(await s.rt.db('instance_app_info').select()),
      JSON.stringify((await s.api(`/api/v1/instances/${enc(id)}`)).body),
      JSON.stringify((await s.api('/api/v1/instances')).body),
      JSON.stringify((await s.api('/api/v1/events?limit=1000')).body),
    ];
    for (const text of anywhere) expect(text).not.toContain(PASSWORD);
  });

  it('npm run reseal moves the sealed answers and app-info passwords to the newest key, leaving plain answers alone', async () => {
    const id = await created(s);
    await appInfo(id, { password: PASSWORD });
    const credentials = { nonce: nonce(), timestamp: String(Date.now()) };
    await s.basic(queryInstance(id), credentials);
    const key = randomBytes(32);
    const ring = new SecretBox([{ id: dataKeyId(key), key }, ...s.rt.config.dataEncryptionKey]);
    const totals: Record<string, { resealed: number; unreadable: number }> = {};
    for (const column of sealedColumns().filter((c) => c.table === 'nonces' || c.table === 'instance_app_info')) {
      totals[`${column.table}.${column.column}`] = await resealColumn(s.rt.db, ring, column, 100, () => {});
    }
    expect(totals['nonces.answer']).toMatchObject({ unreadable: 0 });
    expect(totals['nonces.answer']!.resealed).toBeGreaterThanOrEqual(1);
    expect(totals['instance_app_info.password']).toMatchObject({ unreadable: 0 });
    const answer = (await s.rt.db('nonces').where({ nonce: credentials.nonce }).first()).answer;
    expect(answer.startsWith(ring.currentPrefix)).toBe(true);
    expect(ring.open(answer, `nonces.answer:basic:${credentials.nonce}`)).toContain(PASSWORD);
    const password = (await s.rt.db('instance_app_info').where({ instance_id: id }).first()).password;
    expect(ring.open(password, `instance_app_info.password:${id}`)).toBe(PASSWORD);
    // Plain answers (refusals, other calls) stay as they were.
    expect(await s.rt.db('nonces').where('answer', 'like', '{%').count({ n: '*' }).first()).not.toMatchObject({ n: 0 });
  });

  it('pay-per-use: a body carrying productId is one instance per orderId + productId; without it, per orderId + orderLineId', async () => {
    const first = newInstance({ productId: 'OFFI-PPU-01' });
    const line = (n: number) => `${first.orderId}-00000${n}`;
    expect(await s.basic(first)).toMatchObject({ resultCode: '000000', instanceId: first.businessId });
    // Another order line of the same order and product: the same instance, no second one.
    expect(await s.basic({ ...first, orderLineId: line(2), businessId: 'ppu-second' })).toMatchObject({ resultCode: '000000', instanceId: first.businessId });
    // Concurrent duplicates of a third line: still the one instance.
    const twins = await Promise.all([3, 4, 5].map((n) => s.basic({ ...first, orderLineId: line(n), businessId: `ppu-${n}` })));
    for (const t of twins) expect(t).toMatchObject({ resultCode: '000000', instanceId: first.businessId });
    // Another product of the same order is another instance; so is a line without productId.
    const other = await s.basic({ ...first, orderLineId: line(6), productId: 'OFFI-PPU-02', businessId: 'ppu-other-product' });
    expect(other).toMatchObject({ resultCode: '000000', instanceId: 'ppu-other-product' });
    const plain = await s.basic({ ...first, orderLineId: line(7), productId: undefined, businessId: 'ppu-no-product' });
    expect(plain).toMatchObject({ resultCode: '000000', instanceId: 'ppu-no-product' });

    const instances = await s.rt.db('instances').where({ order_id: first.orderId }).orderBy('instance_id').pluck('instance_id');
    expect(instances.sort()).toEqual([first.businessId, 'ppu-no-product', 'ppu-other-product'].sort());
    const view = (await s.api(`/api/v1/instances/${first.businessId}`)).body;
    expect(view.productId).toBe('OFFI-PPU-01');
    expect(view.orders.map((o: { orderLineId: string }) => o.orderLineId).sort()).toEqual([1, 2, 3, 4, 5].map(line));
    const createdEvents = await s.rt.db('events').where({ type: 'instance.created' }).whereIn('instance_id', instances).count({ n: '*' }).first();
    expect(Number(createdEvents?.n)).toBe(3);
  });

  it('pay-per-use debug case: after its debug release, the saved case creates its instance again', async () => {
    const debug = newInstance({ productId: 'OFFI-PPU-DEBUG', testFlag: '1' });
    expect(await s.basic(debug)).toMatchObject({ resultCode: '000000', instanceId: debug.businessId });
    await s.api(`/api/v1/instances/${enc(debug.businessId)}/usage`, undefined, 'POST', { usageValue: 3, statisticalTime: '20261201000000000' });
    expect(await s.basic(releaseInstance(debug.businessId, { testFlag: '1' }))).toMatchObject({ resultCode: '000000' });
    expect(await s.rt.db('pay_per_use_orders').where({ order_id: debug.orderId })).toEqual([]);
    // The next run of the saved cases: a new businessId, the same order and product.
    expect(await s.basic({ ...debug, businessId: 'ppu-debug-rerun' })).toMatchObject({ resultCode: '000000', instanceId: 'ppu-debug-rerun' });
    expect((await infoOf('ppu-debug-rerun')).usageInfo).toBeUndefined();
  });
});

describe.each(stores)('APPINFO_PASSWORD on %s', (store) => {
  let s: TestServer;
  afterAll(() => s?.stop());

  it('encrypted: userName and password in the V1 form the marketplace decrypts with the access key, with encryptType "2"', async () => {
    s = await startTestServer(store, { APPINFO_PASSWORD: 'encrypted' });
    const id = await created(s);
    await s.api(`/api/v1/instances/${enc(id)}/app-info`, undefined, 'PUT', { userName: 'owner', password: PASSWORD });
    const entry = ((await s.basic(queryInstance(id))).info as any[])[0];
    expect(entry.encryptType).toBe('2');
    expect(entry.appInfo.password).toMatch(/^[A-Za-z0-9]{16}[A-Za-z0-9+/]+=*$/);
    expect(entry.appInfo.password).not.toContain(PASSWORD);
    expect(v1Decrypt(TEST_KEYS.basic, entry.appInfo.password)).toBe(PASSWORD);
    expect(v1Decrypt(TEST_KEYS.basic, entry.appInfo.userName)).toBe('owner');
    // Without credentials nothing is encrypted and no encryptType is sent.
    const bare = ((await s.basic(queryInstance(await created(s)))).info as any[])[0];
    expect(bare).not.toHaveProperty('encryptType');
    await s.stop();

    s = await startTestServer(store, { APPINFO_PASSWORD: 'omit' });
    const omitted = await created(s);
    await s.api(`/api/v1/instances/${enc(omitted)}/app-info`, undefined, 'PUT', { userName: 'owner', password: PASSWORD });
    const answer = ((await s.basic(queryInstance(omitted))).info as any[])[0];
    expect(answer.appInfo).toMatchObject({ userName: 'owner' });
    expect(answer.appInfo).not.toHaveProperty('password');
    expect(answer).not.toHaveProperty('encryptType');
  });
});
