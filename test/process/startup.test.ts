import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { stores } from '../helpers/stores.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, spawnChild, type ChildServer } from '../helpers/child.js';
import { openDb, type Db } from '../../src/store/db.js';

let fresh: FreshStore | undefined;
const children: ChildServer[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }
  for (const f of cleanups.splice(0)) await f();
  await fresh?.drop();
  fresh = undefined;
});

function run(env: Record<string, string>): ChildServer {
  const child = spawnChild(childEnv(env));
  children.push(child);
  return child;
}

const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;

/** What a failed start printed: exactly one line on stderr, no stack trace. */
async function oneLineFailure(child: ChildServer): Promise<string> {
  expect((await child.exited).code).toBe(1);
  const lines = child.stderr().trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const storeDb = (f: FreshStore): Db => openDb({ databaseUrl: f.databaseUrl, sqliteFile: join(f.dataDir, 'koobridge.sqlite') });

describe.each(stores)('start-up on %s', (store) => {
  // Seen once in CI on a loaded machine: one of the two still waiting for the migration lock after
  // 60 s. Not reproduced since; the wait is shortened so such a run fails fast with both outputs,
  // and it is tried once more.
  it('two servers started together on one empty database both migrate it and serve', { retry: 1, timeout: 60_000 }, async () => {
    fresh = await freshStore(store);
    const env = { DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh), STARTUP_WAIT_SECONDS: '20' };
    const pair = [run(env), run(env)];
    const ports = await Promise.all(pair.map((c) => c.listening().catch((err: Error) => Promise.reject(new Error(`${err.message}\n--- other:\n${pair.map((p) => p.output()).join('\n---\n')}`)))));
    expect(await Promise.all(ports.map(ready))).toEqual([200, 200]);
    for (const c of pair) expect(c.output()).not.toMatch(/MigrationLocked|migrate:unlock/);
  });

  it('waits while another process holds the migration lock, says so, and migrates once it is released', async () => {
    fresh = await freshStore(store);
    const db = storeDb(fresh);
    cleanups.push(() => db.destroy());
    // As a replica that is migrating leaves it: knex's lock row, taken.
    await db.schema.createTable('knex_migrations_lock', (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
    await db('knex_migrations_lock').insert({ is_locked: 1 });
    const child = run({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh) });
    await child.waitFor(/waiting for another process to finish the migrations/);
    await db('knex_migrations_lock').update({ is_locked: 0 });
    expect(await ready(await child.listening())).toBe(200);
    expect(child.output()).not.toMatch(/MigrationLocked|migrate:unlock/);
  });
});

/** A TCP relay to MySQL on a port of our choosing: "the database" comes up when it starts listening. */
async function relayTo(target: URL): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const sockets = new Set<Socket>();
  let relay: Server | undefined;
  return {
    port,
    open: () =>
      new Promise<void>((resolve) => {
        relay = createServer((client) => {
          const upstream = connect(Number(target.port || 3306), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => client.destroy());
          }
          client.pipe(upstream).pipe(client);
        }).listen(port, '127.0.0.1', resolve);
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    },
  };
}

describe.runIf(stores.includes('mysql'))('start-up against MySQL that is not there', () => {
  it('retries while the database does not answer, saying what it waits for, and starts once it does', async () => {
    fresh = await freshStore('mysql');
    const real = new URL(fresh.databaseUrl!);
    const relay = await relayTo(real);
    cleanups.push(relay.close);
    const url = new URL(real);
    url.port = String(relay.port);
    const child = run({ DATA_DIR: fresh.dataDir, DATABASE_URL: url.toString(), STARTUP_WAIT_SECONDS: '30' });
    await child.waitFor(new RegExp(`waiting for the database at 127\\.0\\.0\\.1:${relay.port}${real.pathname} \\(ECONNREFUSED\\)`));
    await relay.open();
    expect(await ready(await child.listening())).toBe(200);
  });

  it('gives up after STARTUP_WAIT_SECONDS in one line naming the database', async () => {
    fresh = await freshStore('mysql');
    const child = run({ DATA_DIR: fresh.dataDir, DATABASE_URL: 'mysql://root@127.0.0.1:1/koobridge', STARTUP_WAIT_SECONDS: '1' });
    expect(await oneLineFailure(child)).toBe(
      'koobridge: the database at 127.0.0.1:1/koobridge did not answer within 1 s (ECONNREFUSED); STARTUP_WAIT_SECONDS sets how long to wait',
    );
  });

  it('a database that does not exist stops the start at once, in one line saying how to create it', async () => {
    fresh = await freshStore('mysql');
    const url = new URL(fresh.databaseUrl!);
    url.pathname = '/kbt_missing_database';
    const child = run({ DATA_DIR: fresh.dataDir, DATABASE_URL: url.toString() });
    expect(await oneLineFailure(child)).toBe(
      `koobridge: the MySQL database "kbt_missing_database" does not exist at ${url.hostname}:${url.port || 3306}/kbt_missing_database (DATABASE_URL); create it: CREATE DATABASE \`kbt_missing_database\` CHARACTER SET utf8mb4`,
    );
  });
});

describe('start-up configuration', () => {
  it('a missing RSA key file is one line naming the variable and the file', async () => {
    fresh = await freshStore('sqlite');
    const env = childEnv({ DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh), RSA_PRIVATE_KEY_FILE: '/nonexistent/koobridge.pem' });
    delete env.RSA_PRIVATE_KEY;
    const child = spawnChild(env);
    children.push(child);
    expect(await oneLineFailure(child)).toBe('koobridge: RSA_PRIVATE_KEY_FILE: cannot read /nonexistent/koobridge.pem: no such file');
  });
});
