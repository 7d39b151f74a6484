import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { chromiumMissing, launchChromium } from '../sso/chromium.js';
import { adminPage, shot } from './chromium.js';
import { emitEvents, event, eventually, startReceiver, type Receiver } from '../webhooks/receiver.js';


/** Six attempts 0.3 s apart: a delivery to a receiver that is down fails within seconds. */
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3,0.3,0.3', WEBHOOK_TIMEOUT_SECONDS: '1' };

describe.skipIf(chromiumMissing).each(stores)('webhooks in the admin console in Chromium on %s', (store) => {
  let s: TestServer;
  let chromium: Browser;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    s = await startTestServer(store, ENV);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await chromium?.close();
    await s?.stop();
  });

  const endpoint = async (answer: () => number, description: string) => {
    const receiver = await startReceiver(answer);
    receivers.push(receiver);
    const created = await s.api('/api/v1/webhook-endpoints', undefined, 'POST', { url: receiver.url, description, types: ['tenant.created'] });
    expect(created.status).toBe(201);
    return { receiver, id: created.body.id as string, secret: created.body.secret as string };
  };

  it('lists the endpoints with why one is disabled, shows a failed delivery, and delivers it once retried from the page', async () => {
    let down = true;
    const dead = await endpoint(() => (down ? 503 : 200), 'the CRM, down');
    const gone = await endpoint(() => 410, 'an old receiver');
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    await dead.receiver.until(6, 20_000);
    await gone.receiver.until(1);
    await eventually(async () => expect((await s.api(`/api/v1/webhook-endpoints/${dead.id}/deliveries?status=failed`)).body.items).toHaveLength(1));
    await eventually(async () => expect((await s.api(`/api/v1/webhook-endpoints/${gone.id}`)).body.disabled).toBe(true));

    const { page, context } = await adminPage(chromium, s.url, s.rt.config.adminPassword!);

    await page.click('nav a:has-text("Webhooks")');
    const row = (id: string) => page.locator(`tr[data-endpoint="${id}"]`);
    expect(await row(dead.id).locator('[data-state]').textContent()).toBe('enabled');
    expect(await row(dead.id).locator('[data-failing]').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await row(gone.id).locator('[data-state]').textContent()).toMatch(/^disabled: .*410 Gone/);
    expect(await row(dead.id).textContent()).toContain('tenant.created');
    const html = await page.content();
    for (const secret of [dead.secret, gone.secret]) expect(html).not.toContain(secret);
    await shot(page, `${store}-webhooks`);

    await page.click(`tr[data-endpoint="${dead.id}"] a`);
    const delivery = page.locator('tr[data-delivery]');
    expect(await delivery.count()).toBe(1);
    expect(await delivery.locator('[data-status]').textContent()).toBe('failed');
    expect(await delivery.locator('[data-attempts]').textContent()).toBe('6');
    expect(await delivery.locator('[data-response]').textContent()).toMatch(/^503/);
    expect(await page.content()).not.toContain(dead.secret);
    await shot(page, `${store}-webhook-failed`);

    down = false;
    await delivery.locator('button:has-text("Retry")').click();
    await expect.poll(() => page.textContent('[role=status]')).toMatch(/^Delivery whd_\S+ will be sent again now\.$/);
    const [delivered] = await dead.receiver.until(1, 15_000, (r) => r.answered === 200);
    expect(JSON.parse(delivered!.body)).toMatchObject({ type: 'tenant.created' });
    await eventually(async () => {
      await page.reload();
      expect(await delivery.locator('[data-status]').textContent()).toBe('delivered');
    });
    expect(await delivery.locator('[data-attempts]').textContent()).toBe('1');
    expect(await delivery.locator('[data-response]').textContent()).toBe('200');
    expect(await delivery.locator('button').count()).toBe(0);
    await shot(page, `${store}-webhook-delivered`);
    await context.close();
  });
});
