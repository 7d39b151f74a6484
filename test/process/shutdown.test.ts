import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stores } from '../helpers/stores.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, heldKitCall, rawConnection, repoRoot, spawnChild, type ChildServer } from '../helpers/child.js';
import { openDb } from '../../src/store/db.js';
import { TENANT, tenantSync } from '../helpers/fixtures.js';

let fresh: FreshStore | undefined;
let child: ChildServer | undefined;
afterEach(async () => {
  if (child?.proc.exitCode === null) child.proc.kill('SIGKILL');
  await child?.exited;
  await fresh?.drop();
  child = fresh = undefined;
});

/** How many rows the store holds for the test tenant (read after the server has exited). */
async function tenantRows(): Promise<number> {
  const db = openDb({ databaseUrl: fresh!.databaseUrl, sqliteFile: join(fresh!.dataDir, 'koobridge.sqlite') });
  try {
    const row = await db('tenants').where('tenant_id', TENANT).count({ n: '*' }).first();
    return Number(row?.n);
  } finally {
    await db.destroy();
  }
}

async function start(store: 'sqlite' | 'mysql', env: Record<string, string> = {}) {
  fresh = await freshStore(store);
  child = spawnChild(childEnv({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh), ...env }));
  return { child, port: await child.listening() };
}

describe.each(stores)('SIGTERM on %s', (store) => {
  it('fails readiness at once, answers the call in flight, closes every connection and exits 0', async () => {
    const { child, port } = await start(store);
    const idle = await rawConnection(port);
    idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await idle.until(/"status":"ok"/);
    const unused = await rawConnection(port);
    const halfSent = await rawConnection(port);
    halfSent.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const call = heldKitCall(port, 'tenantSync', tenantSync());
    await call.received;

    child.proc.kill('SIGTERM');
    await child.waitFor(/shutting down/);
    // Kept-alive and never-used connections are closed, not left to hold the process for a minute.
    await idle.closed;
    await unused.closed;
    halfSent.write('\r\n');
    const readyz = await halfSent.closed;
    expect(readyz).toMatch(/^HTTP\/1\.1 503/);
    expect(readyz).toMatch(/\r\nConnection: close\r\n/i);
    expect(readyz).toContain('"status":"shutting down"');

    call.release();
    const { res, body } = await call.answer;
    expect(body.resultCode).toBe('000000');
    expect(res.headers.connection).toBe('close');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('"msg":"stopped"');
    expect(await tenantRows()).toBe(1);
  });

  it('exits after SHUTDOWN_TIMEOUT_SECONDS when a call never finishes, having written nothing of it', async () => {
    const { child, port } = await start(store, { SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const call = heldKitCall(port, 'tenantSync', tenantSync());
    call.answer.catch(() => undefined);
    await call.received;
    const sent = Date.now();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 1, signal: null });
    // A loose bound: the old code took over a minute; the limit is one second.
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(child.output()).toMatch(/"inFlight":1,"timeoutSeconds":1,"msg":"shutdown took longer than SHUTDOWN_TIMEOUT_SECONDS: exiting now"/);
    expect(await tenantRows()).toBe(0);
  });
});

describe('npm start', () => {
  beforeAll(() => {
    // What `npm install` (prepare) or `npm run build` leaves for `npm start` to run.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  });

  it('runs the server as the process npm signals: SIGTERM to npm stops the server, nothing is left behind', async () => {
    fresh = await freshStore('sqlite');
    child = spawnChild(childEnv({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh) }), ['npm', 'start', '--silent']);
    const port = await child.listening();
    child.proc.kill('SIGTERM');
    // npm passes the signal on; it then exits 0, or (when the signal found it first) by the signal itself.
    const exit = await child.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
    // What matters: the server itself got the signal, stopped in order, and is gone.
    const gone = Date.now() + 10_000;
    while (Date.now() < gone && !child.output().includes('"msg":"stopped"')) await new Promise((r) => setTimeout(r, 50));
    expect(child.output()).toContain('"msg":"stopped"');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
