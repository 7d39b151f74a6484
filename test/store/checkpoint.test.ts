import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, openDb } from '../../src/store/db.js';

/**
 * SQLite's WAL is copied into the database file by a worker thread (src/store/checkpointer.ts),
 * not by the commit on the event loop: what a large write commits still reaches the file soon,
 * and the WAL is reused rather than growing with every write.
 */
describe('the SQLite WAL, checkpointed beside the writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-wal-'));
  const file = join(dir, 'k.sqlite');
  const db = openDb({ sqliteFile: file });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const size = (f: string) => statSync(f).size;
  /** Waits (up to 5 s) until `done`; answers whether it came. */
  const until = async (done: () => boolean) => {
    for (const end = Date.now() + 5_000; Date.now() < end; await sleep(20)) if (done()) return true;
    return done();
  };
  /** One transaction of about 2 MB: twice what makes SQLite checkpoint in the commit by itself. */
  const bigWrite = (from: number) =>
    inTransaction(db, async (trx) => {
      for (let i = 0; i < 20; i++) await trx('filler').insert(Array.from({ length: 100 }, (_, j) => ({ n: from + i * 100 + j, text: 'x'.repeat(1000) })));
    });

  it('gets a large commit into the database file soon, and reuses the WAL', async () => {
    await db.raw('CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const empty = size(file);
    await bigWrite(0);
    expect(await until(() => size(file) > empty + 2_000_000)).toBe(true);
    const wal = size(`${file}-wal`);
    await bigWrite(10_000);
    expect(await until(() => size(file) > empty + 4_000_000)).toBe(true);
    // Checkpointed in full before the second write began, the WAL was written again from its start.
    expect(size(`${file}-wal`)).toBeLessThan(wal * 1.5);
    expect(Number((await db('filler').count({ n: '*' }))[0]!.n)).toBe(4_000);
  });
});
