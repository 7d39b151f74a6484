import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { publicPaths } from '../../src/features.js';
import { isPublicPath } from '../../src/http/access.js';

/** Each spelling of a path that must never reach a protected route without the token. */
function spellings(path: string): string[] {
  const letter = path.search(/[a-z]/);
  return [
    path,
    path.toUpperCase(),
    path.replace(/\/([a-z])/, (_, c: string) => `/${c.toUpperCase()}`),
    `${path}/`,
    `/${path}`,
    path.replace(/\/(?=[^/]*$)/, '//'),
    letter < 0 ? path : `${path.slice(0, letter)}%${path.charCodeAt(letter).toString(16)}${path.slice(letter + 1)}`,
  ];
}

/** A raw HTTP/1.1 request, so the Host header is sent exactly as written. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written without ending our side: a half-closed socket may lose an answer that takes a moment.
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe.each(stores)('access to every registered route on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const isPublic = (path: string) => isPublicPath(publicPaths(s.rt.config), path);
  const concrete = (path: string) => path.replace(/:(\w+)/g, 'x1');

  it('refuses every protected route without the token, whatever the spelling and method', async () => {
    const paths = [...new Set(s.routes.map((r) => concrete(r.path)))];
    // The walk covers what was attacked: the directory and the instance API are among the routes.
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/tenants', '/api/v1/tenants/x1/departments', '/api/v1/instances/x1', '/metrics']));
    const leaks: string[] = [];
    for (const path of paths) {
      for (const spelled of spellings(path)) {
        if (isPublic(spelled)) continue;
        for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST']) {
          const res = await fetch(`${s.url}${spelled}`, { method, redirect: 'manual' });
          await res.arrayBuffer();
          // The credential check's own refusal (a route's own 401, e.g. /sso/session's, would not count).
          if (res.status !== 401 || res.headers.get('www-authenticate') !== 'Bearer') leaks.push(`${method} ${spelled} → ${res.status}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('serves the public routes without the token', async () => {
    const open = [...new Set(s.routes.map((r) => concrete(r.path)))].filter(isPublic);
    expect(open).toEqual(expect.arrayContaining(['/healthz', '/sso/callback', '/koogallery/produceAPI/v2/x1']));
    for (const path of open) {
      const res = await fetch(`${s.url}${path}`, { redirect: 'manual' });
      expect(res.headers.get('www-authenticate'), path).toBeNull();
    }
  });

  it('answers a malformed Host header with 400, never 500', async () => {
    for (const host of ['a b', '[', 'x:99999', 'x:', '-', 'a/b']) {
      for (const path of ['/sso/logout', '/sso/callback?code=c&tenant=t', '/healthz', '/api/v1/tenants']) {
        const method = path === '/sso/logout' ? 'POST' : 'GET';
        const answer = await rawRequest(s.port, `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0`);
        expect(answer.slice(0, 12), `${host} ${path}`).toBe('HTTP/1.1 400');
      }
    }
    expect((await rawRequest(s.port, 'GET /healthz HTTP/1.1\r\nHost: bridge.example.com:8443')).slice(0, 12)).toBe('HTTP/1.1 200');
    expect((await rawRequest(s.port, 'GET /healthz HTTP/1.1\r\nHost: [::1]:3000')).slice(0, 12)).toBe('HTTP/1.1 200');
  });

  it('builds links from PUBLIC_URL, never from the Host header', async () => {
    const evil = { host: 'evil.example' };
    const answer = await rawRequest(s.port, 'GET /sso/login?tenant=t&returnTo=http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\nAccept: application/json');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('return_to_refused');
    const logout = await rawRequest(s.port, `POST /sso/logout HTTP/1.1\r\nHost: ${evil.host}\r\nContent-Length: 0`);
    expect(logout).toMatch(/^HTTP\/1\.1 303/);
    expect(logout).toMatch(new RegExp(`\r\nLocation: ${s.rt.config.publicUrl}/sso/signed-out\r\n`, 'i'));
  });

  it('answers queryInstance with an absolute frontEndUrl when PUBLIC_URL is unset', async () => {
    const created = await s.basic({ activity: 'newInstance', orderId: 'CS-ABS', orderLineId: 'CS-ABS-1', businessId: 'abs-1' });
    const q = await s.basic({ activity: 'queryInstance', instanceId: created.instanceId });
    const info = (q.info as { appInfo: { frontEndUrl: string } }[])[0]!.appInfo;
    expect(info.frontEndUrl).toBe(`${s.url}/sso/login?instanceId=${created.instanceId}`);
  });

  it('sends security headers on pages and keeps every answer out of caches', async () => {
    const page = await fetch(`${s.url}/sso/login`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const api = await fetch(`${s.url}/api/v1/tenants`, { headers: { authorization: `Bearer ${s.rt.config.apiToken[0]}` } });
    expect(api.status).toBe(200);
    expect(api.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(`${s.url}/api/v1/tenants`);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});
