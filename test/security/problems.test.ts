import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';

interface Answer {
  status: number;
  body: unknown;
  cacheControl: string | null;
  authenticate: string | null;
}

describe.each(stores)('refusals outside the marketplace, in each channel\'s shape, on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const call = async (path: string, init: RequestInit = {}, token = TEST_KEYS.apiToken): Promise<Answer> => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(`${s.url}${path}`, { ...init, headers });
    return { status: res.status, body: await res.json(), cacheControl: res.headers.get('cache-control'), authenticate: res.headers.get('www-authenticate') };
  };
  const introspect = (body: string, contentType = 'application/json') =>
    call('/api/v1/sessions/introspect', { method: 'POST', headers: { 'content-type': contentType }, body });
  /** What every API refusal looks like: a status, `{error, message}`, and nothing a cache may keep. */
  const problem = (status: number, error: string, message: string | RegExp) => ({
    status,
    body: { error, message: typeof message === 'string' ? message : expect.stringMatching(message) },
    cacheControl: 'no-store',
  });

  it('answers bad queries and bodies 400 bad_request, naming the field', async () => {
    expect(await call('/api/v1/tenants?pageSize=0')).toMatchObject(problem(400, 'bad_request', 'pageSize: must be at least 1'));
    expect(await call('/api/v1/held-syncs?state=lost')).toMatchObject(problem(400, 'bad_request', /^state: must be one of /));
    expect(await introspect('{"session":1}')).toMatchObject(problem(400, 'bad_request', 'session: must be a string'));
    expect(await introspect('{')).toMatchObject(problem(400, 'bad_request', 'body: not valid JSON'));
    expect(await introspect('[]')).toMatchObject(problem(400, 'bad_request', 'body: must be a JSON object'));
    expect(await introspect('{"session":"x"}', 'text/plain')).toMatchObject(problem(400, 'bad_request', 'Content-Type must be application/json'));
  });

  it('answers a body over the limit 413 too_large', async () => {
    const big = JSON.stringify({ session: 'x'.repeat(20_000) });
    expect(await introspect(big)).toMatchObject(problem(413, 'too_large', 'body: larger than the limit of 16384 bytes'));
  });

  it('answers what is not there 404 not_found', async () => {
    expect(await call('/api/v1/tenants/nobody')).toMatchObject(problem(404, 'not_found', 'tenant nobody is not in the directory'));
    expect(await call('/api/v1/instances/nobody')).toMatchObject(problem(404, 'not_found', 'instance nobody is unknown'));
    expect(await call('/api/v1/held-syncs/x1')).toMatchObject(problem(404, 'not_found', 'held sync x1 is unknown'));
    expect(await call('/api/v1/held-syncs/7/apply', { method: 'POST' })).toMatchObject(problem(404, 'not_found', 'held sync 7 is unknown'));
  });

  it('answers a missing token 401 unauthorized, asking for a bearer token', async () => {
    for (const path of ['/metrics', '/api/v1/tenants', '/api/v1/sessions/introspect']) {
      expect(await call(path, {}, ''), path).toMatchObject({
        ...problem(401, 'unauthorized', 'a valid API_TOKEN bearer token is required'),
        authenticate: 'Bearer',
      });
    }
  });

  it('answers a sign-in form it cannot take with an invalid_request refusal, not an API problem', async () => {
    const post = async (contentType: string, body: string, accept = 'application/json') => {
      const res = await fetch(`${s.url}/sso/switch`, { method: 'POST', headers: { 'content-type': contentType, accept }, body });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    const refused = (message: string) => ({ status: 400, body: { error: 'invalid_request', message, reference: expect.stringMatching(/^KB-/) } });
    const json = async (answer: Promise<{ status: number; body: string }>) => {
      const { status, body } = await answer;
      return { status, body: JSON.parse(body) };
    };
    expect(await json(post('text/plain', 'token=a&action=continue'))).toMatchObject(refused('Content-Type must be application/x-www-form-urlencoded'));
    expect(await json(post('application/x-www-form-urlencoded', `token=${'a'.repeat(5000)}`))).toMatchObject(refused('body: larger than the limit of 4096 bytes'));
    expect(await json(post('application/x-www-form-urlencoded', 'action=continue'))).toMatchObject(refused('token: is required'));
    // A browser gets the refusal page instead.
    expect(await post('text/plain', 'x', 'text/html')).toMatchObject({ status: 400, type: expect.stringMatching(/^text\/html/) });
  });

  it('answers a malformed Host 400 bad_request', async () => {
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: '/healthz', headers: { host: 'bridge.test:99999' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: 'bad_request', message: 'Host header: malformed' });
  });
});
