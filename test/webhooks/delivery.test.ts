import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { eventBounds } from '../../src/store/events.js';
import { emitEvents, event, eventually, signaturesBy, startReceiver, type Receiver } from './receiver.js';

/** Six attempts 0.3 s apart, a second's timeout, and a two-second rotation overlap: the whole life of a delivery in a few seconds. */
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3,0.3,0.3', WEBHOOK_TIMEOUT_SECONDS: '1', WEBHOOK_ROTATION_OVERLAP_SECONDS: '2' };

describe.each(stores)('webhook deliveries on %s', (store) => {
  let s: TestServer;
  const logLines: string[] = [];
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, ENV, undefined, { logLines });
  });
  afterAll(() => s.stop());
  afterEach(async () => {
    // Each test's endpoints go with it, so later tests' events reach only their own.
    for (const e of (await s.api('/api/v1/webhook-endpoints')).body.items) await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'DELETE');
    for (const r of receivers.splice(0)) await r.close();
  });

  async function endpoint(answer?: Parameters<typeof startReceiver>[0], body: Record<string, unknown> = {}) {
    const receiver = await startReceiver(answer);
    receivers.push(receiver);
    const created = await s.api('/api/v1/webhook-endpoints', undefined, 'POST', { url: receiver.url, ...body });
    expect(created.status).toBe(201);
    return { receiver, id: created.body.id as string, secret: created.body.secret as string };
  }
  const deliveries = async (id: string, query = '') => (await s.api(`/api/v1/webhook-endpoints/${id}/deliveries${query}`)).body.items;
  const idsOf = (received: { body: string }[]) => received.map((r) => JSON.parse(r.body).id as string);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** The endpoint as the API shows it, once it shows it disabled. */
  const onceDisabled = (id: string) =>
    eventually(async () => {
      const e = (await s.api(`/api/v1/webhook-endpoints/${id}`)).body;
      expect(e.disabled).toBe(true);
      return e;
    });

  it('posts each event as the events API shows it, signed so an independent verifier and the standardwebhooks package accept it', async () => {
    const { receiver, id, secret } = await endpoint();
    const { last } = await eventBounds(s.rt.db);
    await emitEvents(s.rt.db, [event('tenant.created', 1), event('user.authorized', 2), event('department.created', 3)]);
    const received = await receiver.until(3);
    const shown = (await s.api(`/api/v1/events?after=${last}`)).body.data;
    expect(received.map((r) => JSON.parse(r.body)).sort((a, b) => a.sequence - b.sequence)).toEqual(shown);
    for (const r of received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(JSON.parse(r.body).id);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(signaturesBy(secret, r)).toBe(1);
      expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toEqual(JSON.parse(r.body));
      // A body changed on the way no longer matches.
      expect(signaturesBy(secret, { ...r, body: r.body.replace('"n":', '"n": ') })).toBe(0);
    }
    await eventually(async () => expect((await deliveries(id)).map((d: any) => [d.status, d.attempts, d.lastStatusCode])).toEqual(Array(3).fill(['delivered', 1, 200])));
  });

  it('sends an endpoint only the types it asked for', async () => {
    const filtered = await endpoint(undefined, { types: ['tenant.created', 'tenant.deleted'] });
    const all = await endpoint();
    await emitEvents(s.rt.db, [event('tenant.created', 1), event('user.authorized', 2)]);
    await emitEvents(s.rt.db, [event('department.created', 3), event('tenant.deleted', 4)]);
    await all.receiver.until(4);
    await filtered.receiver.until(2);
    await pause(500);
    expect(filtered.receiver.received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['tenant.created', 'tenant.deleted']);
  });

  it('loses nothing while the receiver is down: each event is delivered once, repeated only as retries with the same webhook-id', async () => {
    let down = true;
    const { receiver } = await endpoint(() => (down ? 503 : 200));
    const batches = [0, 1, 2, 3, 4].map((b) => [event('user.updated', b * 2), event('user.updated', b * 2 + 1)]);
    for (const batch of batches) await emitEvents(s.rt.db, batch);
    // Every event tried twice and refused, then the receiver is back.
    await receiver.until(20);
    down = false;
    const delivered = await receiver.until(10, 15_000, (r) => r.answered === 200);
    const emitted = new Set(idsOf(receiver.received));
    expect(emitted.size).toBe(10);
    expect(idsOf(delivered).sort()).toEqual([...emitted].sort());
    for (const r of receiver.received) expect(r.headers['webhook-id']).toBe(JSON.parse(r.body).id);
    await pause(500);
    expect(receiver.received.filter((r) => r.answered === 200)).toHaveLength(10);
  });

  it('retries a 5xx and a timeout on the schedule, marks the delivery failed after the last attempt, and delivers it on a manual retry', async () => {
    const answers: (number | 'hang')[] = [500, 'hang', 502, 500, 500, 500];
    const { receiver, id } = await endpoint(() => answers.shift() ?? 200);
    await emitEvents(s.rt.db, [event('tenant.updated', 1)]);
    const attempts = await receiver.until(6, 20_000);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(i === 2 ? 1_250 : 250);
    const [failed] = await eventually(async () => {
      const list = await deliveries(id, '?status=failed');
      expect(list).toHaveLength(1);
      return list;
    });
    expect(failed).toMatchObject({ status: 'failed', attempts: 6, lastStatusCode: 500, nextAttemptAt: null });
    await pause(800);
    expect(receiver.received).toHaveLength(6);
    expect(logLines.some((l) => l.includes('"deliveryId":"' + failed.id) && l.includes('no attempt left'))).toBe(true);

    const retry = await s.api(`/api/v1/webhook-deliveries/${failed.id}/retry`, undefined, 'POST');
    expect(retry.status).toBe(202);
    await receiver.until(7);
    expect(receiver.received[6]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    await eventually(async () => expect((await s.api(`/api/v1/webhook-deliveries/${failed.id}`)).body).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 }));
  });

  it('disables the endpoint on 410 Gone, sends it nothing more, and resumes once it is enabled again', async () => {
    let answer = 410;
    const { receiver, id } = await endpoint(() => answer);
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    await receiver.until(1);
    const disabled = await onceDisabled(id);
    expect(disabled.disabledReason).toMatch(/410 Gone/);
    expect(logLines.some((l) => l.includes(id) && l.includes('webhook endpoint disabled'))).toBe(true);
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.apiToken}` } })).text();
    expect(metrics).toMatch(/koobridge_webhook_endpoints_disabled 1/);
    expect(metrics).toMatch(/koobridge_webhook_deliveries_total\{outcome="gone"\} 1/);

    await emitEvents(s.rt.db, [event('tenant.updated', 2)]);
    await pause(1_500);
    expect(receiver.received).toHaveLength(1);
    answer = 200;
    expect((await s.api(`/api/v1/webhook-endpoints/${id}`, undefined, 'PATCH', { disabled: false })).body).toMatchObject({ disabled: false, disabledReason: null });
    const [, resumed] = await receiver.until(2);
    expect(JSON.parse(resumed!.body).type).toBe('tenant.updated');
  });

  it('disables an endpoint that has failed for WEBHOOK_DISABLE_AFTER_DAYS with no success, visibly and with a warning', async () => {
    const { receiver, id } = await endpoint(() => 500);
    // Its failing spell began six days ago (the default limit is five).
    const sixDaysAgo = Date.now() - 6 * 86_400_000;
    await s.rt.db('webhook_endpoints').where({ id }).update({ failing_since: sixDaysAgo });
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    await receiver.until(1);
    const e = await onceDisabled(id);
    expect(e.failingSince).toBe(new Date(sixDaysAgo).toISOString());
    expect(e.disabledReason).toMatch(/^no delivery succeeded for 6 days .*WEBHOOK_DISABLE_AFTER_DAYS is 5/);
    expect(logLines.some((l) => l.includes(id) && l.includes('WEBHOOK_DISABLE_AFTER_DAYS') && l.includes('"level":40'))).toBe(true);
    await pause(800);
    expect(receiver.received).toHaveLength(1);
  });

  it('a success ends the failing spell', async () => {
    const answers = [500];
    const { receiver, id } = await endpoint(() => answers.shift() ?? 200);
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    await receiver.until(1);
    await eventually(async () => expect((await s.api(`/api/v1/webhook-endpoints/${id}`)).body.failingSince).not.toBeNull());
    await receiver.until(2);
    await eventually(async () => expect((await s.api(`/api/v1/webhook-endpoints/${id}`)).body.failingSince).toBeNull());
  });

  it('signs with the old and the new secret after a rotation, then with the new one alone once the overlap is over', async () => {
    const { receiver, id, secret: old } = await endpoint();
    const rotated = await s.api(`/api/v1/webhook-endpoints/${id}/rotate-secret`, undefined, 'POST');
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    const [during] = await receiver.until(1);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([signaturesBy(fresh, during!), signaturesBy(old, during!)]).toEqual([1, 1]);

    await pause(2_200);
    await emitEvents(s.rt.db, [event('tenant.updated', 2)]);
    const [, after] = await receiver.until(2);
    expect(String(after!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect([signaturesBy(fresh, after!), signaturesBy(old, after!)]).toEqual([1, 0]);
  });

  it('gives a new endpoint only what is committed after it, and the history when replayed', async () => {
    const { last } = await eventBounds(s.rt.db);
    await emitEvents(s.rt.db, [event('tenant.created', 1), event('user.authorized', 2), event('user.authorized', 3)]);
    const { receiver, id } = await endpoint();
    await pause(1_500);
    expect(receiver.received).toHaveLength(0);

    const replay = await s.api(`/api/v1/webhook-endpoints/${id}/replay`, undefined, 'POST', { after: String(last) });
    expect(replay).toEqual({ status: 202, body: { enqueued: 3 } });
    const received = await receiver.until(3);
    const shown = (await s.api(`/api/v1/events?after=${last}`)).body.data;
    expect(idsOf(received).sort()).toEqual(shown.map((e: any) => e.id).sort());

    // A second replay sends them again, with the same ids: the receiver's dedupe key.
    expect((await s.api(`/api/v1/webhook-endpoints/${id}/replay`, undefined, 'POST', { after: last + 1 })).body).toEqual({ enqueued: 2 });
    await receiver.until(5);
    expect(idsOf(receiver.received.slice(3)).sort()).toEqual(shown.slice(1).map((e: any) => e.id).sort());
  });
});
