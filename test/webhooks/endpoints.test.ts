import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { configureEnvironmentEndpoint } from '../../src/webhooks/endpoints.js';
import { loadConfig } from '../../src/config/index.js';
import { keyEnv } from '../helpers/keys.js';
import { emitEvents, event, signaturesBy, startReceiver, type Receiver } from './receiver.js';

const UNKNOWN_ENDPOINT = 'we_AAAAAAAAAAAAAAAAAAAAAA';
const UNKNOWN_DELIVERY = 'whd_AAAAAAAAAAAAAAAAAAAAAA';

describe.each(stores)('the webhook endpoints API on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const post = (body: unknown) => s.api('/api/v1/webhook-endpoints', undefined, 'POST', body);

  it('creates an endpoint and shows its secret once', async () => {
    const created = await post({ url: 'https://hooks.example.com/koobridge', types: ['tenant.created'], description: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://hooks.example.com/koobridge', types: ['tenant.created'], description: 'CRM', source: 'api', disabled: false, failingSince: null });
    expect(created.body.id).toMatch(/^we_[A-Za-z0-9_-]{22}$/);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64')).toHaveLength(32);

    const shown = await s.api(`/api/v1/webhook-endpoints/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await s.api('/api/v1/webhook-endpoints')).body)).not.toContain(created.body.secret.slice(6));
    // At rest it is sealed, not stored as given.
    const row = await s.rt.db('webhook_endpoints').where({ id: created.body.id }).first();
    expect(row.secret).not.toContain(created.body.secret.slice(6));
  });

  it('changes, disables, lists and deletes endpoints', async () => {
    const { body: e } = await post({ url: 'http://10.0.0.5:8080/hook' });
    expect(e.types).toBeNull();
    const changed = await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'PATCH', { url: 'https://b.example.com/', types: ['user.deleted'], description: 'B', disabled: true });
    expect(changed.body).toMatchObject({ url: 'https://b.example.com/', types: ['user.deleted'], description: 'B', disabled: true, disabledReason: 'disabled through the API' });
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'PATCH', { types: null, disabled: false })).body).toMatchObject({ types: null, disabled: false, disabledReason: null });
    expect((await s.api('/api/v1/webhook-endpoints')).body.items.map((x: any) => x.id)).toContain(e.id);
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'DELETE')).status).toBe(204);
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}`)).status).toBe(404);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const refusals: [unknown, RegExp][] = [
      [{ url: 'ftp://hooks.example.com/x' }, /^url: must be an http\(s\) URL/],
      [{ url: 'not a url' }, /^url: must be an http\(s\) URL/],
      [{ url: `https://example.com/${'x'.repeat(2100)}` }, /^url: must be at most 2048 characters/],
      [{}, /^url: is required/],
      [{ url: 'https://example.com/', types: ['tenant.created', 'tenant.exploded'] }, /^types\[1\]: must be one of "instance.created"/],
      [{ url: 'https://example.com/', types: [] }, /^types: /],
      [{ url: 'https://example.com/', description: 7 }, /^description: must be a string/],
      [{ url: 'https://example.com/', secret: 'whsec_mine' }, /secret/],
    ];
    for (const [body, message] of refusals) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error).toBe('bad_request');
      expect(answer.body.message).toMatch(message);
    }
    const raw = await fetch(`${s.url}/api/v1/webhook-endpoints`, { method: 'POST', headers: { authorization: `Bearer ${s.rt.config.apiToken}`, 'content-type': 'application/json' }, body: '{"url":' });
    expect([raw.status, ((await raw.json()) as { message: string }).message]).toEqual([400, 'body: not valid JSON']);
    const { body: e } = await post({ url: 'https://example.com/' });
    const patch = await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'PATCH', { disabled: 'yes' });
    expect([patch.status, patch.body.message]).toEqual([400, 'disabled: must be a boolean']);
    const replay = await s.api(`/api/v1/webhook-endpoints/${e.id}/replay`, undefined, 'POST', { after: 'yesterday' });
    expect([replay.status, replay.body.message]).toEqual([400, 'after: must be a cursor: the `next` of the events API']);
    const list = await s.api(`/api/v1/webhook-endpoints/${e.id}/deliveries?status=lost`);
    expect([list.status, list.body.message]).toEqual([400, 'status: must be one of "pending", "delivered", "failed"']);
  });

  it('answers 404 for an endpoint or delivery it does not know', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}`],
      ['GET', '/api/v1/webhook-endpoints/nonsense'],
      ['PATCH', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}`, { disabled: true }],
      ['DELETE', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}`],
      ['POST', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/rotate-secret`],
      ['GET', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/deliveries`],
      ['POST', `/api/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/replay`, { after: '0' }],
      ['POST', `/api/v1/webhook-deliveries/${UNKNOWN_DELIVERY}/retry`],
      ['GET', `/api/v1/webhook-deliveries/${UNKNOWN_DELIVERY}`],
    ];
    for (const [method, path, body] of calls) {
      const answer = await s.api(path, undefined, method, body);
      expect([method, path, answer.status, answer.body.error]).toEqual([method, path, 404, 'not_found']);
    }
  });

  it('answers 401 without the API token', async () => {
    const { body: e } = await post({ url: 'https://example.com/' });
    for (const [method, path] of [
      ['POST', '/api/v1/webhook-endpoints'],
      ['GET', '/api/v1/webhook-endpoints'],
      ['GET', `/api/v1/webhook-endpoints/${e.id}`],
      ['POST', `/api/v1/webhook-endpoints/${e.id}/rotate-secret`],
      ['GET', `/api/v1/webhook-endpoints/${e.id}/deliveries`],
      ['POST', '/api/v1/webhook-deliveries/x/retry'],
    ]) {
      const res = await fetch(`${s.url}${path}`, { method });
      expect([path, res.status, res.headers.get('www-authenticate')]).toEqual([path, 401, 'Bearer']);
    }
    expect((await s.api('/api/v1/webhook-endpoints', 'not-the-token')).status).toBe(401);
  });

  it('answers 410 for a replay from events retention has deleted', async () => {
    const { body: e } = await post({ url: 'https://example.com/' });
    await s.rt.db('event_sequence').update({ purged_through: 5, last: s.rt.db.raw('CASE WHEN `last` < 5 THEN 5 ELSE `last` END') });
    const answer = await s.api(`/api/v1/webhook-endpoints/${e.id}/replay`, undefined, 'POST', { after: 4 });
    expect([answer.status, answer.body.message]).toEqual([410, expect.stringMatching(/^after: events up to 5 are past EVENT_RETENTION_DAYS/)]);
  });
});

describe.each(stores)('the WEBHOOK_URL endpoint on %s', (store) => {
  let s: TestServer;
  let receiver: Receiver;
  const first = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
  const second = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
  beforeAll(async () => {
    receiver = await startReceiver();
    s = await startTestServer(store, { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: first, WEBHOOK_ROTATION_OVERLAP_SECONDS: '600' });
  });
  afterAll(async () => {
    await s.stop();
    await receiver.close();
  });

  it('is created at start, signs with WEBHOOK_SECRET, and is managed through the variables', async () => {
    const [e, ...others] = (await s.api('/api/v1/webhook-endpoints')).body.items;
    expect(others).toEqual([]);
    expect(e).toMatchObject({ url: receiver.url, source: 'environment', types: null });
    await emitEvents(s.rt.db, [event('tenant.created', 1)]);
    const [r] = await receiver.until(1);
    expect(signaturesBy(first, r!)).toBe(1);
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}/rotate-secret`, undefined, 'POST')).status).toBe(409);
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'DELETE')).status).toBe(409);
    expect((await s.api(`/api/v1/webhook-endpoints/${e.id}`, undefined, 'PATCH', { url: 'https://elsewhere.example.com/' })).status).toBe(409);

    // A start with a new secret: both sign through the overlap.
    s.rt.config.webhookSecret = second;
    await configureEnvironmentEndpoint(s.rt);
    await emitEvents(s.rt.db, [event('tenant.updated', 2)]);
    const [, r2] = await receiver.until(2);
    expect([signaturesBy(second, r2!), signaturesBy(first, r2!)]).toEqual([1, 1]);
    expect((await s.api('/api/v1/webhook-endpoints')).body.items.map((x: any) => x.id)).toEqual([e.id]);

    // A start without the variables removes it.
    s.rt.config.webhookUrl = s.rt.config.webhookSecret = undefined;
    await configureEnvironmentEndpoint(s.rt);
    expect((await s.api('/api/v1/webhook-endpoints')).body.items).toEqual([]);
  });
});

describe('WEBHOOK_URL and WEBHOOK_SECRET settings', () => {
  const load = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/koobridge-webhook-config', ...keyEnv(), ...env });
  it('take a Standard Webhooks secret together with an http(s) URL', () => {
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    expect(load({ WEBHOOK_URL: 'https://hooks.example.com/', WEBHOOK_SECRET: secret })()).toMatchObject({ webhookUrl: 'https://hooks.example.com/', webhookSecret: secret });
    expect(load({ WEBHOOK_URL: 'https://hooks.example.com/' })).toThrow(/WEBHOOK_URL and WEBHOOK_SECRET go together/);
    expect(load({ WEBHOOK_SECRET: secret })).toThrow(/WEBHOOK_URL and WEBHOOK_SECRET go together/);
    expect(load({ WEBHOOK_URL: 'https://hooks.example.com/', WEBHOOK_SECRET: 'hunter2hunter2hunter2hunter2' })).toThrow(/WEBHOOK_SECRET: must be whsec_ followed by 24 to 64 bytes/);
    expect(load({ WEBHOOK_URL: 'https://hooks.example.com/', WEBHOOK_SECRET: `whsec_${Buffer.alloc(16).toString('base64')}` })).toThrow(/WEBHOOK_SECRET: must be whsec_/);
    expect(load({ WEBHOOK_URL: 'file:///etc/passwd', WEBHOOK_SECRET: secret })).toThrow(/WEBHOOK_URL/);
    expect(load({ WEBHOOK_RETRY_SCHEDULE: '5,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE: must be a comma-separated list of seconds/);
    expect(load({ WEBHOOK_RETRY_SCHEDULE: '1, 2.5,10' })()).toMatchObject({ webhookRetrySchedule: [1, 2.5, 10] });
  });
});
