import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, spawnChild, type ChildServer } from '../helpers/child.js';
import { Navigator } from '../sso/browser.js';

/** `koobridge demo` as a newcomer runs it: its own process, on ports of its own choosing. */
describe('koobridge demo', () => {
  let demo: ChildServer;
  let signInUrl: string;
  let token: string;
  let dataDir: string;

  beforeAll(async () => {
    demo = spawnChild({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, cliCommand('demo', '--port', '0', '--idp-port', '0'));
    signInUrl = await demo.waitFor(/^Sign in: open (\S+)$/m);
    token = await demo.waitFor(/Authorization: Bearer ([^']+)'/);
    dataDir = await demo.waitFor(/on SQLite in (\S+) /);
  });
  afterAll(() => {
    if (demo.proc.exitCode === null) demo.proc.kill('SIGKILL');
  });

  it('says what it synced and that its IdP is for development only', () => {
    expect(demo.output()).toMatch(/for development only/);
    expect(demo.output()).toMatch(/newInstance .*tenantSync .*applicationSync .*authSync .*allOrgSync/s);
  });

  it('signs in a synced user through the printed address with login_hint, and the session shows them', async () => {
    const nav = new Navigator();
    await nav.navigate(signInUrl, {
      visit: (url) => url.pathname === '/api/v1/oauth2/authorize' && url.searchParams.set('login_hint', 'zhangsan'),
    });
    expect(nav.hops.map((h) => h.pathname)).toContain('/sso/callback');
    const res = await nav.at(signInUrl).get('/sso/session', { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: unknown }).user).toMatchObject({ userName: 'zhangsan', role: 'admin', orgCode: 'D01' });
  });

  it('the directory API answers with the printed token: the synced users, departments and the events list', async () => {
    const get = async (path: string) => {
      const res = await fetch(new URL(path, signInUrl), { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as { items: Record<string, unknown>[]; data: unknown };
    };
    const tenantPath = /curl -H '[^']+' '(\S+)\/users\?/.exec(demo.output())![1]!;
    expect((await get(`${tenantPath}/users`)).items.map((u) => u.userName).sort()).toEqual(['lisi', 'zhangsan']);
    expect((await get(`${tenantPath}/departments`)).items.map((d) => d.orgCode).sort()).toEqual(['D01', 'D0101']);
    expect((await get('/api/v1/events')).data).toBeInstanceOf(Array);
  });

  it('Ctrl-C stops the server and the IdP, removes its temporary folder and exits 0', async () => {
    const idpUrl = /OneAccess at (\S+)/.exec(demo.output())![1]!;
    demo.proc.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(dataDir)).toBe(false);
    await expect(fetch(signInUrl)).rejects.toThrow();
    await expect(fetch(idpUrl)).rejects.toThrow();
  });
});
