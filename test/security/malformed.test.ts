import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_KEYS } from '../helpers/keys.js';

/** The status line of a raw HTTP/1.1 exchange, so paths, cookies and bodies go out exactly as written. */
function statusOf(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request, 'latin1'));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer.slice(0, answer.indexOf('\r\n'))));
    socket.on('error', reject);
  });
}

const PATHS = [
  '/%', '/%zz', '/api/v1/tenants/%', '/api/v1/tenants/%E0%A4%A', '/api/v1/tenants/%00', '/api/v1/instances/%',
  '/api/v1/tenants?page=%', '/api/v1/tenants?page=1e400', '/api/v1/tenants/x/users?pageSize=-1', `/api/v1/tenants/${'a'.repeat(5000)}`,
  '/sso/login?tenant=%', '/sso/login?tenant=a&tenant=b', '/sso/login?returnTo=%', '/sso/callback?code=%&tenant=%zz', '/sso/callback?code[a]=1',
  '/sso/callback?state=%&code=x', '/sso/session', '/koogallery/produceAPI/v2/%', '/koogallery?signature=%&timestamp=1&nonce=1', '/healthz?%',
];
const COOKIES = ['koobridge_session=%', 'koobridge_session=%E0%A4%A', `koobridge_session=${'a'.repeat(300)}`, 'koobridge_session="x', 'a', '=', ';;;', 'koobridge_session=a; koobridge_session=b'];
const BODIES = ['{', '\u0000', '[]', 'null', '{"session":1}', `{"session":"${'x'.repeat(20_000)}"}`, '\xff\xfe'];

describe.each(stores)('malformed requests on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const send = (head: string, body = '') =>
    statusOf(s.port, `${head}\r\nHost: bridge.test\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`);
  const failures: string[] = [];
  const expectNo500 = async (what: string, status: Promise<string>) => {
    const line = await status;
    if (!/^HTTP\/1\.1 [1-4]\d\d/.test(line)) failures.push(`${what} → ${line || 'no answer'}`);
  };

  it('answers odd paths and queries, with and without the token, below 500', async () => {
    for (const path of PATHS) {
      for (const method of ['GET', 'POST', 'HEAD', 'OPTIONS', 'DELETE']) {
        await expectNo500(`${method} ${path}`, send(`${method} ${path} HTTP/1.1`));
        await expectNo500(`${method} ${path} (token)`, send(`${method} ${path} HTTP/1.1\r\nAuthorization: Bearer ${TEST_KEYS.apiToken}`));
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers odd cookies below 500', async () => {
    for (const cookie of COOKIES) {
      for (const [method, path] of [['GET', '/sso/session'], ['POST', '/sso/logout'], ['GET', '/sso/callback?code=a&tenant=b'], ['POST', '/sso/switch']]) {
        await expectNo500(`${method} ${path} cookie ${cookie.slice(0, 30)}`, send(`${method} ${path} HTTP/1.1\r\nCookie: ${cookie}`));
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers odd bodies below 500', async () => {
    for (const body of BODIES) {
      for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
        for (const path of ['/api/v1/sessions/introspect', '/sso/switch', '/koogallery/produceAPI/v2/tenantSync', '/koogallery']) {
          const auth = path.startsWith('/api') ? `\r\nAuthorization: Bearer ${TEST_KEYS.apiToken}` : '';
          await expectNo500(`POST ${path} ${type} ${JSON.stringify(body.slice(0, 10))}`, send(`POST ${path} HTTP/1.1\r\nContent-Type: ${type}${auth}`, body));
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
