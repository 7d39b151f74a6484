import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { newInstance, queryInstance, releaseInstance } from '../lifecycle/bodies.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { warnOverdueProvisioning } from '../../src/instances/provisioning.js';
import { randomBytes } from 'node:crypto';
import { dataKeyId } from '../../src/config/settings.js';
import { SecretBox } from '../../src/store/secretBox.js';
import { resealColumn } from '../../src/store/reseal.js';
import { sealedColumns } from '../../src/features.js';

const PASSWORD = 'Init-Pa55word-7f3e';

describe.each(stores)('asynchronous provisioning on %s', (store) => {
  let s: TestServer;
  let receiver: Receiver;
  const logLines: string[] = [];
  const provisioned = (id: string, body: unknown) => s.api(`/api/v1/instances/${encodeURIComponent(id)}/provisioned`, undefined, 'POST', body);
  const failed = (id: string, body: unknown) => s.api(`/api/v1/instances/${encodeURIComponent(id)}/provisioning-failed`, undefined, 'POST', body);
  const report = (id: string) => ({ frontEndUrl: `https://ws-${id.slice(0, 8)}.example.com/`, adminUrl: 'https://admin.example.com/', userName: 'admin', password: PASSWORD, memo: '欢迎' });

  beforeAll(async () => {
    s = await startTestServer(store, { PROVISIONING: 'async', PROVISIONING_TIMEOUT_MINUTES: '1', LOG_LEVEL: 'debug' }, undefined, { logLines });
    // The merchant's application: on instance.created it provisions and reports back.
    receiver = await startReceiver((r) => {
      const e = JSON.parse(r.body) as { type: string; instanceId: string };
      if (e.type === 'instance.created' && e.instanceId.startsWith('auto-')) {
        void fetch(`${s.url}/api/v1/instances/${e.instanceId}/provisioned`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.rt.config.apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(report(e.instanceId)),
        });
      }
      return 200;
    });
    expect((await s.api('/api/v1/webhook-endpoints', undefined, 'POST', { url: receiver.url })).status).toBe(201);
  });
  afterAll(async () => {
    await s.stop();
    await receiver.close();
  });

  it('a full round: 000004, instance.created by webhook, the application reports, queryInstance answers its appInfo', async () => {
    const body = newInstance({ businessId: `auto-${Date.now()}` });
    const first = await s.basic(body);
    expect(first).toMatchObject({ resultCode: '000004', instanceId: body.businessId });
    // Polled while provisioning: 000004, then the reported appInfo.
    let answer = await s.basic(queryInstance(body.businessId));
    const deadline = Date.now() + 15_000;
    while (answer.resultCode === '000004' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await s.basic(queryInstance(body.businessId));
    }
    const { password: _, ...shown } = report(body.businessId);
    expect(answer).toMatchObject({ resultCode: '000000', info: [{ instanceId: body.businessId, appInfo: shown }] });
    const events = (await receiver.until(2, 15_000, (r) => r.body.includes(body.businessId))).map((r) => JSON.parse(r.body).type);
    expect(events).toEqual(['instance.created', 'instance.provisioned']);
    // A duplicate newInstance now answers success with the same id.
    expect(await s.basic({ ...body, businessId: 'other' })).toMatchObject({ resultCode: '000000', instanceId: body.businessId });
  });

  it('a duplicate newInstance while provisioning answers 000004 with the same instanceId', async () => {
    const body = newInstance();
    expect(await s.basic(body)).toMatchObject({ resultCode: '000004', instanceId: body.businessId });
    expect(await s.basic({ ...body, businessId: 'second' })).toMatchObject({ resultCode: '000004', instanceId: body.businessId });
    const view = await s.api(`/api/v1/instances/${body.businessId}`);
    expect(view.body.provisioning).toMatchObject({ state: 'provisioning', overdue: false, settledAt: null });
  });

  it('provisions a debug order (testFlag "1") at once: the seller centre wants 000000 from its cases', async () => {
    const body = newInstance({ testFlag: '1' });
    expect(await s.basic(body)).toMatchObject({ resultCode: '000000', instanceId: body.businessId });
    expect((await s.basic(queryInstance(body.businessId, { testFlag: '1' }))).resultCode).toBe('000000');
    expect((await s.api(`/api/v1/instances/${body.businessId}`)).body.provisioning).toBeNull();
  });

  it('the same report again succeeds unchanged; a different one is refused with 409', async () => {
    const body = newInstance();
    await s.basic(body);
    const id = body.businessId;
    expect(await provisioned(id, report(id))).toMatchObject({ status: 200, body: { state: 'provisioned', changed: true } });
    expect(await provisioned(id, report(id))).toMatchObject({ status: 200, body: { state: 'provisioned', changed: false } });
    const other = await provisioned(id, { ...report(id), password: 'another' });
    expect(other.status).toBe(409);
    expect(JSON.stringify(other.body)).toContain('already reported provisioned');
    expect((await failed(id, { reason: 'late' })).status).toBe(409);
    expect((await s.api(`/api/v1/instances/${id}`)).body.provisioning.state).toBe('provisioned');
  });

  it('provisioning-failed: queryInstance and newInstance answer 000005 with the reason; idempotent', async () => {
    const body = newInstance();
    await s.basic(body);
    const id = body.businessId;
    expect(await failed(id, { reason: 'no capacity in region' })).toMatchObject({ status: 200, body: { state: 'failed', changed: true } });
    expect(await failed(id, { reason: 'no capacity in region' })).toMatchObject({ status: 200, body: { changed: false } });
    expect((await failed(id, { reason: 'other' })).status).toBe(409);
    expect(await s.basic(queryInstance(id))).toMatchObject({ resultCode: '000005', resultMsg: 'provisioning failed: no capacity in region' });
    expect(await s.basic(body)).toMatchObject({ resultCode: '000005', instanceId: id });
  });

  it('refuses bad reports naming the field, and reports for an instance that never waited (404)', async () => {
    const body = newInstance();
    await s.basic(body);
    const bad = await provisioned(body.businessId, { frontEndUrl: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('frontEndUrl');
    expect((await provisioned('never-created', { frontEndUrl: 'https://x.example.com/' })).status).toBe(404);
  });

  it('app-info set through the API wins over the report, field by field; set while provisioning, it waits for the report', async () => {
    const body = newInstance();
    await s.basic(body);
    const id = body.businessId;
    const put = (fields: unknown) => s.api(`/api/v1/instances/${encodeURIComponent(id)}/app-info`, undefined, 'PUT', fields);
    expect(await put({ adminUrl: 'https://console.example.com/' })).toMatchObject({ status: 200, body: { changed: true } });
    expect((await s.basic(queryInstance(id))).resultCode).toBe('000004');
    await provisioned(id, report(id));
    await put({ password: 'changed-by-app' });
    const { appInfo } = ((await s.basic(queryInstance(id))).info as { appInfo: Record<string, string> }[])[0]!;
    expect(appInfo).toEqual({ ...report(id), adminUrl: 'https://console.example.com/', password: 'changed-by-app' });
    // Cleared, the report answers again.
    await put({ adminUrl: null, password: null });
    expect(((await s.basic(queryInstance(id))).info as { appInfo: unknown }[])[0]!.appInfo).toEqual(report(id));
  });

  it('shows an instance provisioning past PROVISIONING_TIMEOUT_MINUTES as overdue', async () => {
    const body = newInstance();
    await s.basic(body);
    await s.rt.db('instance_provisioning').where({ instance_id: body.businessId }).update({ since: Date.now() - 61_000 });
    expect((await s.api(`/api/v1/instances/${body.businessId}`)).body.provisioning).toMatchObject({ state: 'provisioning', overdue: true });
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${s.rt.config.apiToken}` } })).text();
    expect(Number(/^koobridge_instances_provisioning_overdue (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    await warnOverdueProvisioning(s.rt);
    expect(logLines.some((l) => l.includes('past PROVISIONING_TIMEOUT_MINUTES'))).toBe(true);
  });

  it('keeps the password sealed: not in the row, the logs, the events, the audit, the instance API or the stored answers', async () => {
    const body = newInstance();
    await s.basic(body);
    const id = body.businessId;
    await provisioned(id, report(id));
    // Sent to the marketplace (APPINFO_PASSWORD=plain), and only there.
    expect((await s.basic(queryInstance(id))).info).toEqual([expect.objectContaining({ appInfo: expect.objectContaining({ password: PASSWORD }) })]);
    const row = await s.rt.db('instance_provisioning').where({ instance_id: id }).first();
    expect(row.password).toMatch(/^v2\./);
    expect(s.rt.box.open(row.password, `instance_provisioning.password:${id}`)).toBe(PASSWORD);
    const anywhere = [
      logLines.join('\n'),
      JSON.stringify(await s.rt.db('events').select()),
      JSON.stringify(await s.rt.db('audit_log').select()),
      JSON.stringify((await s.api(`/api/v1/instances/${id}`)).body),
      JSON.stringify((await s.api('/api/v1/events?limit=1000')).body),
      JSON.stringify(await s.rt.db('nonces').select()),
    ];
    for (const text of anywhere) expect(text).not.toContain(PASSWORD);
  });

  it('a released instance keeps no reported password', async () => {
    const body = newInstance();
    await s.basic(body);
    const id = body.businessId;
    await provisioned(id, report(id));
    expect((await s.basic(releaseInstance(id))).resultCode).toBe('000000');
    const row = await s.rt.db('instance_provisioning').where({ instance_id: id }).first();
    expect(row).toMatchObject({ state: 'provisioned', password: null });
  });

  it('npm run reseal moves the password to the newest DATA_ENCRYPTION_KEY', async () => {
    const body = newInstance();
    await s.basic(body);
    await provisioned(body.businessId, report(body.businessId));
    const key = randomBytes(32);
    const ring = new SecretBox([{ id: dataKeyId(key), key }, ...s.rt.config.dataEncryptionKey]);
    const column = sealedColumns().find((c) => c.table === 'instance_provisioning' && c.column === 'password')!;
    expect(column).toBeDefined();
    await resealColumn(s.rt.db, ring, column, 100, () => {});
    const row = await s.rt.db('instance_provisioning').where({ instance_id: body.businessId }).first();
    expect(row.password.startsWith(ring.currentPrefix)).toBe(true);
    expect(ring.open(row.password, `instance_provisioning.password:${body.businessId}`)).toBe(PASSWORD);
  });
});
