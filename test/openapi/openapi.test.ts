import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { apiDocument, type ApiDocument } from '../helpers/openapi.js';
import { publicPaths } from '../../src/features.js';
import { isPublicPath } from '../../src/http/access.js';

interface Parameter {
  name: string;
  in: string;
  schema: { maximum?: number; enum?: string[] };
}
type Paths = Record<string, Record<string, { parameters: Parameter[]; security?: unknown[] }>>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe.each(stores)('the OpenAPI document on %s', (store) => {
  let s: TestServer;
  let api: ApiDocument;
  let paths: Paths;
  beforeAll(async () => {
    s = await startTestServer(store);
    api = await apiDocument(s.url);
    paths = api.document.paths as Paths;
  });
  afterAll(() => s.stop());

  it('is served at /openapi.json without a token, as valid OpenAPI 3.1', async () => {
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // apiDocument refused it already if the OpenAPI 3.1 schema did not validate it.
    expect(((await res.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./);
  });

  it('describes every registered route that needs the token, and only registered routes', () => {
    const open = publicPaths(s.rt.config);
    const registered = s.routes.flatMap((r) =>
      r.methods.filter((m) => METHODS.includes(m.toLowerCase())).map((m) => ({ route: `${m.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`, bearer: !isPublicPath(open, r.path.replace(/:\w+/g, 'x1')) })),
    );
    const described = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(described).toEqual(expect.arrayContaining(registered.filter((r) => r.bearer).map((r) => r.route)));
    expect(registered.map((r) => r.route)).toEqual(expect.arrayContaining(described));
    // The walk covers the merchant's APIs.
    expect(described).toEqual(expect.arrayContaining(['get /api/v1/tenants', 'get /api/v1/instances', 'get /api/v1/instances/{instanceId}', 'get /api/v1/events', 'post /api/v1/sessions/introspect']));
  });

  it('asks for the token exactly where the credential check does', async () => {
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        // fetch upper-cases only some methods itself (not PATCH).
        const res = await fetch(`${s.url}${path.replace(/\{\w+\}/g, '1')}`, { method: method.toUpperCase(), redirect: 'manual' });
        await res.arrayBuffer();
        const refusedForToken = res.status === 401 && res.headers.get('www-authenticate') === 'Bearer';
        expect(refusedForToken, `${method} ${path}`).toBe(op.security === undefined);
      }
    }
  });

  it('shows the limits the query is validated with', async () => {
    let checked = 0;
    for (const [path, ops] of Object.entries(paths)) {
      const get = ops.get;
      for (const p of get?.parameters.filter((p) => p.in === 'query') ?? []) {
        const beyond = p.schema.maximum !== undefined && p.schema.maximum < Number.MAX_SAFE_INTEGER ? String(p.schema.maximum + 1) : p.schema.enum ? 'not-one-of-them' : undefined;
        if (beyond === undefined) continue;
        // s.api checks the refusal against the document too.
        const res = await s.api(`${path.replace(/\{\w+\}/g, '1')}?${p.name}=${beyond}`);
        expect([res.status, res.body.message], `${path} ${p.name}=${beyond}`).toEqual([400, expect.stringMatching(new RegExp(`^${p.name}: `))]);
        checked++;
      }
    }
    // pageSize and limit of the lists, the held syncs' state, the departments' topLevel.
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('offers the reconciling parameters on each list, and refuses a time they do not read', async () => {
    const lists = ['/api/v1/tenants', '/api/v1/tenants/{tenantId}/departments', '/api/v1/tenants/{tenantId}/users', '/api/v1/instances'];
    for (const path of lists) {
      const names = paths[path]!.get!.parameters.map((p) => p.name);
      expect(names, path).toEqual(expect.arrayContaining(['page', 'pageSize', 'updatedSince', 'includeDeleted']));
      const res = await s.api(`${path.replace(/\{\w+\}/g, '1')}?updatedSince=yesterday`);
      expect([res.status, res.body.message], path).toEqual([400, expect.stringMatching(/^updatedSince: must be epoch milliseconds or an ISO 8601 time/)]);
    }
  });

  it('tells an answer that strays from it', () => {
    const tenant = { instanceId: 'i', tenantId: 't', tenantCode: 'c', name: 'n', domainName: 'd', testFlag: false, syncedAt: '20240101000000000' };
    const page = { items: [tenant], page: 1, pageSize: 100, total: 1 };
    expect(api.mismatch('GET', '/api/v1/tenants', 200, 'application/json', page)).toBeUndefined();
    expect(api.mismatch('GET', '/api/v1/tenants', 200, 'application/json', { ...page, items: [{ ...tenant, name: null }] })).toMatch(/items\/0\/name must be string/);
    expect(api.mismatch('GET', '/api/v1/tenants', 200, 'application/json', { ...page, items: [{ ...tenant, secret: 'x' }] })).toMatch(/additional properties/);
    expect(api.mismatch('GET', '/api/v1/tenants', 418, 'application/json', {})).toMatch(/status is not in the document/);
    expect(api.mismatch('GET', '/api/v1/tenants', 200, 'text/html', '<p>')).toMatch(/answered text\/html/);
    expect(api.mismatch('GET', '/api/v1/tenants/t/users/u', 404, 'application/json', { error: 'not_found' })).toMatch(/must have required property 'message'/);
  });
});
