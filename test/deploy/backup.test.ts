import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stores } from '../helpers/stores.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, heldKitCall, spawnChild, tsxLoader, type ChildServer } from '../helpers/child.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, allOrgSync, dept, tenantSync } from '../helpers/fixtures.js';
import { findDumpProgram } from '../../src/store/backup.js';

interface Sqlite {
  exec(sql: string): void;
  pragma(sql: string, options: { simple: true }): unknown;
  prepare(sql: string): { pluck(): { all(): unknown[] } };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: { readonly: boolean }) => Sqlite;

let fresh: FreshStore | undefined;
let server: ChildServer | undefined;
let s: TestServer | undefined;
let folder: string | undefined;
afterEach(async () => {
  if (server?.proc.exitCode === null) server.proc.kill('SIGKILL');
  await server?.exited;
  await fresh?.drop();
  await s?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
  server = fresh = s = folder = undefined;
});

/** The backup command as an operator runs it, in a process of its own, with exactly `env`. */
async function backup(env: Record<string, string>, file: string) {
  const run = spawnChild(env, [process.execPath, '--import', tsxLoader, 'src/backup.ts', file]);
  return { ...(await run.exited), output: run.output() };
}

/** One signed kit call to the child server. */
async function kit(port: number, call: string, body: unknown): Promise<string> {
  const c = heldKitCall(port, call, body);
  c.release();
  return (await c.answer).body.resultCode;
}

describe('backup of the SQLite store', () => {
  it('copies the store while a server process writes to it: the copy holds every call answered before it began and passes integrity_check', async () => {
    fresh = await freshStore('sqlite');
    const env = childEnv({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh) });
    server = spawnChild(env);
    const port = await server.listening();
    // A store of a few MB, so the copy is more than a handful of pages.
    expect(await kit(port, 'tenantSync', tenantSync())).toBe('000000');
    const departments = Array.from({ length: 5000 }, (_, i) => dept(`D${i}`, i < 10 ? null : `D${i % 10}`));
    expect(await kit(port, 'allOrgSync', allOrgSync(departments))).toBe('000000');

    // A reader that keeps its snapshot open holds the WAL back from being checkpointed into the
    // database file: from here on, what the server commits is in the WAL alone, and a copy of the
    // file by itself would miss it.
    const reader = new Database(join(fresh.dataDir, 'koobridge.sqlite'), { readonly: true });
    reader.exec('begin');
    reader.prepare('select count(*) from tenants').pluck().all();

    // Four writers add tenants, one call after another, until told to stop.
    const answered: string[] = [];
    let writing = true;
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const tenantId = `backup-${w}-${i}`;
        expect(await kit(port, 'tenantSync', tenantSync({ tenantId }))).toBe('000000');
        answered.push(tenantId);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (answered.length < 100) await sleep(10);

    folder = mkdtempSync(join(tmpdir(), 'koobridge-backup-test-'));
    const file = join(folder, 'copy.sqlite');
    const before = [...answered];
    const result = await backup(env, file);
    const during = answered.length - before.length;
    writing = false;
    await Promise.all(writers);
    reader.close();

    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/backed up .* to .*copy\.sqlite \(\d+ pages, integrity_check ok\)/);
    // The server went on writing while the command ran: nothing waited for the copy.
    expect(during).toBeGreaterThan(0);
    // One file, nothing half-written or beside it.
    expect(readdirSync(folder)).toEqual(['copy.sqlite']);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const tenants = new Set(copy.prepare('select tenant_id from tenants').pluck().all());
      for (const id of before) expect(tenants.has(id), `${id} was answered before the backup began`).toBe(true);
      expect(tenants.has(TENANT)).toBe(true);
      // Only what the server wrote: every other tenant in the copy was a call it answered.
      for (const id of tenants) expect(id === TENANT || answered.includes(String(id))).toBe(true);
      expect(copy.prepare("select count(*) from departments where tenant_id = '" + TENANT + "'").pluck().all()).toEqual([5000]);
      expect(copy.prepare('select count(*) from knex_migrations').pluck().all()[0]).toBeGreaterThan(0);
    } finally {
      copy.close();
    }
  });

  it('refuses to overwrite a file, and names the store when there is none', async () => {
    fresh = await freshStore('sqlite');
    folder = mkdtempSync(join(tmpdir(), 'koobridge-backup-test-'));
    const env = childEnv({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh) });
    const missing = await backup(env, join(folder, 'a.sqlite'));
    expect(missing.code).toBe(1);
    expect(missing.output).toContain(`no SQLite store at ${join(fresh.dataDir, 'koobridge.sqlite')}`);
    expect(existsSync(join(folder, 'a.sqlite'))).toBe(false);

    server = spawnChild(env);
    await server.listening();
    expect((await backup(env, join(folder, 'a.sqlite'))).code).toBe(0);
    const again = await backup(env, join(folder, 'a.sqlite'));
    expect(again.code).toBe(1);
    expect(again.output).toContain('exists already');
  });
});

describe('backup of a MySQL store', () => {
  it('without mysqldump on PATH, prints the mysqldump command to run and exits 1', async () => {
    folder = mkdtempSync(join(tmpdir(), 'koobridge-backup-test-'));
    const env = childEnv({ PATH: folder, DATABASE_URL: 'mysql://koobridge:secret-pass@db.internal:3306/koobridge' });
    const result = await backup(env, join(folder, 'dump.sql'));
    expect(result.code).toBe(1);
    expect(result.output).toContain('neither mysqldump nor mariadb-dump is on PATH');
    expect(result.output).toContain(`mysqldump -p --single-transaction --quick --hex-blob --no-tablespaces --default-character-set=utf8mb4 --host=db.internal --port=3306 --user=koobridge --result-file=${join(folder, 'dump.sql')} koobridge`);
    expect(result.output).not.toContain('secret-pass');
  });

  it.runIf(stores.includes('mysql'))('runs mysqldump: the dump restores into an empty database with the directory in it', async () => {
    expect(findDumpProgram(), 'mysqldump or mariadb-dump on PATH (apt-get install mariadb-client)').toBeDefined();
    s = await startTestServer('mysql');
    expect((await s.kit('tenantSync', tenantSync({ name: '备份测试' }))).resultCode).toBe('000000');
    folder = mkdtempSync(join(tmpdir(), 'koobridge-backup-test-'));
    const file = join(folder, 'dump.sql');
    const result = await backup(childEnv({ DATABASE_URL: s.rt.config.databaseUrl! }), file);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('.partial');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    fresh = await freshStore('mysql');
    const url = new URL(fresh.databaseUrl!);
    const client = ['mariadb', 'mysql'].find(onPath);
    expect(client, 'the mariadb or mysql client on PATH').toBeDefined();
    const connection = ['--protocol=TCP', `-h${url.hostname}`, `-P${url.port || 3306}`, `-u${decodeURIComponent(url.username)}`];
    const run = (args: string[], input?: Buffer) =>
      execFileSync(client!, [...connection, ...args, url.pathname.slice(1)], { input, env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) } });
    run([], readFileSync(file));
    const name = run(['-N', '-e', `select name from tenants where tenant_id = '${TENANT}'`]);
    expect(name.toString().trim()).toBe('备份测试');
  });
});

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, name)));
